import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Arguments for GraalVM's image builder (NativeImageGeneratorRunner), printed one a line, for the parts the
 * native-image launcher would otherwise work out (the launcher is not on Maven Central):
 *
 * <pre>
 *   java BuilderArgs.java exports            every package of this JDK exported to the builder's modules
 *   java BuilderArgs.java image CLASSPATH    what the classpath's META-INF/native-image directories ask for
 * </pre>
 *
 * For "image", the Args of each native-image.properties become builder options (--initialize-at-build-time=X is
 * -H:ClassInitialization=X:build_time, and so on), and every directory with configuration files
 * (reachability-metadata.json, reflect-config.json, ...) becomes a -H:ConfigurationResourceRoots. An argument
 * the builder cannot take this way stops the build, naming the file.
 */
public class BuilderArgs {
    private static final String BUILDER_MODULES = String.join(",", "org.graalvm.nativeimage.builder",
            "org.graalvm.nativeimage.pointsto", "org.graalvm.nativeimage.objectfile", "org.graalvm.nativeimage.base",
            "org.graalvm.nativeimage.configure", "jdk.graal.compiler");
    private static final String META_INF = "META-INF/native-image";

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("exports")) {
            exports().forEach(System.out::println);
        } else if (args.length == 2 && args[0].equals("image")) {
            for (String entry : args[1].split(":")) {
                if (!entry.isEmpty()) {
                    imageArgs(Path.of(entry)).forEach(System.out::println);
                }
            }
        } else {
            System.err.println("usage: java BuilderArgs.java exports | image CLASSPATH");
            System.exit(2);
        }
    }

    /** Packages of the modules this JVM resolved (run it with the builder's --add-modules). */
    private static List<String> exports() {
        List<String> lines = new ArrayList<>();
        ModuleLayer.boot().modules().stream()
                .map(Module::getDescriptor)
                .filter(descriptor -> !descriptor.name().equals("jdk.graal.compiler"))
                .filter(descriptor -> ModuleFinder.ofSystem().find(descriptor.name()).isPresent())
                .sorted()
                .forEach(descriptor -> descriptor.packages().stream().sorted().forEach(pkg ->
                        lines.add("--add-exports=" + descriptor.name() + "/" + pkg + "=" + BUILDER_MODULES)));
        return lines;
    }

    private static List<String> imageArgs(Path entry) throws IOException {
        if (Files.isDirectory(entry)) {
            return imageArgs(entry, entry.toString());
        }
        if (!Files.isRegularFile(entry)) {
            return List.of();
        }
        try (FileSystem jar = FileSystems.newFileSystem(entry)) {
            return imageArgs(jar.getPath("/"), entry.toString());
        }
    }

    private static List<String> imageArgs(Path root, String origin) throws IOException {
        Path metaInf = root.resolve(META_INF);
        if (!Files.isDirectory(metaInf)) {
            return List.of();
        }
        List<String> result = new ArrayList<>();
        TreeSet<String> configRoots = new TreeSet<>();
        try (Stream<Path> files = Files.walk(metaInf)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                String dir = root.relativize(file.getParent()).toString();
                if (name.equals("native-image.properties")) {
                    result.addAll(translate(file, origin + "!/" + root.relativize(file)));
                } else if (name.endsWith(".json")) {
                    configRoots.add(dir);
                }
            }
        }
        configRoots.forEach(dir -> result.add("-H:ConfigurationResourceRoots=" + dir));
        return result;
    }

    private static List<String> translate(Path file, String origin) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> result = new ArrayList<>();
        String args = properties.getProperty("Args", "").trim();
        if (args.isEmpty()) {
            return result;
        }
        for (String arg : args.split("\\s+")) {
            result.add(translate(arg, origin));
        }
        return result;
    }

    private static String translate(String arg, String origin) {
        if (arg.startsWith("-H:") || arg.startsWith("-R:")) {
            return arg;
        }
        String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
        String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
        return switch (option) {
            case "--initialize-at-build-time" -> classInitialization(value, "build_time");
            case "--initialize-at-run-time" -> classInitialization(value, "run_time");
            case "--features" -> "-H:Features=" + value;
            case "--enable-url-protocols" -> "-H:EnableURLProtocols=" + value;
            case "--add-exports" -> "-H:AddExports=" + value;
            case "--add-opens" -> "-H:AddOpens=" + value;
            case "--enable-native-access" -> "-H:EnableNativeAccess=" + value;
            default -> throw new IllegalArgumentException(origin + ": the builder has no equivalent for '" + arg
                    + "' here: add it to rootfs-builder/native-image/BuilderArgs.java or use a -H: option");
        };
    }

    private static String classInitialization(String classes, String when) {
        StringBuilder option = new StringBuilder("-H:ClassInitialization=");
        String[] names = classes.isEmpty() ? new String[] {""} : classes.split(",");
        for (int i = 0; i < names.length; i++) {
            option.append(i == 0 ? "" : ",").append(names[i]).append(':').append(when);
        }
        return option.toString();
    }
}
