package io.podvisor.shim.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of this podvisor build, which the guest agent's version must equal. */
public final class Versions {
    private static final String HOST = load();

    private Versions() {}

    public static String host() {
        return HOST;
    }

    private static String load() {
        try (InputStream in = Versions.class.getResourceAsStream("/io/podvisor/shim/version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException | NullPointerException e) {
            throw new UncheckedIOException(new IOException("podvisor build is missing version.properties", e));
        }
    }
}
