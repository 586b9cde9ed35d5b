package org.xo.node;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The home directory of one node (--home), whichever Openfire it runs: claimed by one launcher at a time, with
 * {@code logs/} and the XO plugin in {@code plugins/xo.jar}. {@link EmbeddedHome} and {@link LayoutHome} lay out
 * the rest for their Openfire.
 */
final class NodeHome {
    private final Path dir;
    private FileChannel lockChannel;

    NodeHome(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    Path logs() {
        return dir.resolve("logs");
    }

    /** Creates the directories and proves they are writable; one node per home at a time. */
    void claim() throws ConfigException {
        try {
            Files.createDirectories(logs());
            Path lockFile = dir.resolve("xo-node.lock");
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new ConfigException("Home directory " + dir + " is in use by another running XO node.");
            }
        } catch (IOException e) {
            throw new ConfigException("Home directory " + dir + " cannot be created or written: " + reason(e) + ".");
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "a parent directory does not exist and cannot be created";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason().toLowerCase(Locale.ROOT);
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Copies the plugin when it is missing or older than the given JAR; Openfire then re-extracts it. */
    void deployPlugin(Path jar) throws IOException {
        Path target = dir.resolve("plugins/xo.jar");
        if (Files.notExists(target)
                || Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(target)) > 0) {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("xo.jar.part");
            Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            // Atomic, so Openfire's plugin monitor never unpacks a half-copied JAR.
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
