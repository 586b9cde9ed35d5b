package org.xo.node;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * {@code --generate-key FILE}: writes a new overlay key with the plugin's own {@code org.xo.security.OverlayKeys},
 * loaded from the plugin JAR, so that the key file format has one implementation and the plugin's classes stay off
 * the node's class path (see the package doc).
 */
final class KeyGenerator {
    private static final String KEYS_CLASS = "org.xo.security.OverlayKeys";
    /** The plugin's own classes inside the plugin JAR (its other lib/ JARs are dependencies such as jna). */
    private static final Pattern CODE_ENTRY = Pattern.compile("lib/xo-[^/]*\\.jar");

    private KeyGenerator() {
    }

    /**
     * @return what to tell the user: the file, the key id and what to do with it
     * @throws ConfigException when no key was written, in one sentence
     */
    static String generate(Path pluginJar, Path file) throws ConfigException {
        if (pluginJar == null || !Files.exists(pluginJar)) {
            throw new ConfigException("--generate-key needs the XO plugin JAR (pass --plugin JAR); "
                    + (pluginJar == null ? "none was found next to the node's code." : pluginJar + " does not exist."));
        }
        Path code = null;
        try {
            code = pluginCode(pluginJar);
            // The platform loader as parent: only the JDK is shared, nothing of the node.
            try (URLClassLoader plugin = new URLClassLoader(new URL[] {(code != null ? code : pluginJar).toUri()
                    .toURL()}, ClassLoader.getPlatformClassLoader())) {
                Object id = plugin.loadClass(KEYS_CLASS).getMethod("generate", Path.class).invoke(null, file);
                return "Wrote overlay key " + id + " to " + file.toAbsolutePath() + " (readable by its owner only)."
                        + System.lineSeparator() + "Copy it to every node of the overlay and start each with"
                        + " --set xo.security.key-file=<its path there>; keep it secret.";
            }
        } catch (InvocationTargetException e) {
            throw new ConfigException(e.getCause().getMessage()); // the key file's own sentence
        } catch (MalformedURLException | ReflectiveOperationException e) {
            throw new ConfigException("The XO plugin JAR " + pluginJar + " has no key generator (" + e + ").");
        } catch (IOException e) {
            throw new ConfigException("The XO plugin JAR " + pluginJar + " cannot be read: " + e.getMessage() + ".");
        } finally {
            if (code != null) {
                try {
                    Files.deleteIfExists(code);
                } catch (IOException e) {
                    // a temporary file left behind in the temp directory
                }
            }
        }
    }

    /**
     * An Openfire plugin JAR holds its classes in a JAR of its own under {@code lib/}, which a class loader cannot
     * read in place: it is copied to a temporary file.
     *
     * @return that copy, or null when {@code pluginJar} is not a plugin JAR (a directory or a JAR of classes)
     */
    private static Path pluginCode(Path pluginJar) throws IOException {
        if (!Files.isRegularFile(pluginJar)) {
            return null;
        }
        try (ZipFile zip = new ZipFile(pluginJar.toFile())) {
            ZipEntry code = zip.stream().filter(e -> CODE_ENTRY.matcher(e.getName()).matches()).findFirst().orElse(null);
            if (code == null) {
                return null;
            }
            Path copy = Files.createTempFile("xo-plugin-code", ".jar");
            try (InputStream in = zip.getInputStream(code)) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        }
    }
}
