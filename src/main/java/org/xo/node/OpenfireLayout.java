package org.xo.node;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Openfire server layout that {@code --openfire} names: the folder Openfire's distribution unpacks to
 * ({@code bin/openfire.sh}, {@code lib/xmppserver-<version>.jar}, {@code conf/}, {@code plugins/},
 * {@code resources/}). It is only ever read; each node runs a writable copy of it (see {@link LayoutHome}).
 * <p>
 * Openfire 4.8 is the oldest accepted: the node relies on its {@code <autosetup>} copying every property of
 * openfire.xml into the database, and on its listener properties (see {@link NodeProperties}).
 */
final class OpenfireLayout {
    private static final int MIN_MAJOR = 4;
    private static final int MIN_MINOR = 8;
    private static final Pattern SERVER_JAR = Pattern.compile("xmppserver-(.+)\\.jar");
    private static final Pattern HSQLDB_JAR = Pattern.compile("hsqldb-.+\\.jar");
    private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d+)\\.(\\d+).*");

    private final Path dir;
    private final String version;
    private final Path hsqldbJar;

    private OpenfireLayout(Path dir, String version, Path hsqldbJar) {
        this.dir = dir;
        this.version = version;
        this.hsqldbJar = hsqldbJar;
    }

    /** Checks that {@code dir} is a layout of Openfire 4.8 or newer. */
    static OpenfireLayout open(Path dir) throws ConfigException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new ConfigException("--openfire " + absolute + " is not a directory.");
        }
        Path serverJar = find(absolute.resolve("lib"), SERVER_JAR);
        if (!Files.isRegularFile(absolute.resolve("bin/openfire.sh")) || serverJar == null) {
            throw new ConfigException("--openfire " + absolute + " is not an Openfire server layout (it needs"
                    + " bin/openfire.sh and lib/xmppserver-<version>.jar).");
        }
        String version = versionOf(serverJar);
        if (!isSupported(version)) {
            throw new ConfigException("--openfire " + absolute + " holds Openfire " + version
                    + ", but an XO node needs Openfire " + MIN_MAJOR + "." + MIN_MINOR + " or newer.");
        }
        Path hsqldbJar = find(absolute.resolve("lib"), HSQLDB_JAR);
        if (hsqldbJar == null) {
            throw new ConfigException("--openfire " + absolute + " has no lib/hsqldb-<version>.jar for its embedded"
                    + " database.");
        }
        return new OpenfireLayout(absolute, version, hsqldbJar);
    }

    Path dir() {
        return dir;
    }

    /** As the server JAR's manifest says, e.g. "5.1.1". */
    String version() {
        return version;
    }

    /** The layout's own HSQLDB driver: the database format must stay the one its Openfire writes. */
    Path hsqldbJar() {
        return hsqldbJar;
    }

    static boolean isSupported(String version) {
        Matcher m = MAJOR_MINOR.matcher(version);
        if (!m.matches()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        return major > MIN_MAJOR || major == MIN_MAJOR && Integer.parseInt(m.group(2)) >= MIN_MINOR;
    }

    /** Implementation-Version of the JAR's manifest, else the version in its file name. */
    private static String versionOf(Path serverJar) throws ConfigException {
        try (JarFile jar = new JarFile(serverJar.toFile())) {
            Manifest manifest = jar.getManifest();
            String version = manifest == null ? null
                    : manifest.getMainAttributes().getValue("Implementation-Version");
            if (version != null && !version.isBlank()) {
                return version.trim();
            }
        } catch (IOException e) {
            throw new ConfigException("Cannot read " + serverJar + " of the --openfire layout: " + e.getMessage()
                    + ".");
        }
        Matcher m = SERVER_JAR.matcher(serverJar.getFileName().toString());
        return m.matches() ? m.group(1) : "of unknown version";
    }

    private static Path find(Path dir, Pattern name) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (name.matcher(file.getFileName().toString()).matches()) {
                    return file;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
