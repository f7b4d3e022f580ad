package io.podvisor.libc;

/**
 * Whether this code runs inside a GraalVM native image. The image builder initializes this class while it
 * builds (this module's native-image.properties says so), so {@link Libc#LIBC}'s choice is a constant there
 * and the FFM implementation, which an image cannot run, is never reached.
 */
public final class ImageCode {

    /** The builder sets the property to "buildtime", and an image to "runtime"; a JVM leaves it unset. */
    public static final boolean NATIVE = System.getProperty("org.graalvm.nativeimage.imagecode") != null;

    private ImageCode() {}
}
