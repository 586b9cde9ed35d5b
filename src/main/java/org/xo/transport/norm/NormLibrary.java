package org.xo.transport.norm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * libnorm, loaded with JNA, plus the three C library functions its use needs ({@code poll}, {@code malloc},
 * {@code free}). Loading tries the names of {@value #LIBRARY_PROPERTY} (comma-separated; default {@code norm}, then
 * {@code libnorm.so.1}, the name Debian's runtime package libnorm1 installs without the development symlink) and
 * checks that every function of {@link NormApi} is there, so that an old libnorm fails here with its reason rather
 * than later in a call. The outcome is kept per list of names: the process loads libnorm once.
 */
final class NormLibrary {
    /** System property naming the library to load (JNA names or paths, comma-separated). */
    static final String LIBRARY_PROPERTY = "xo.norm.library";
    static final String DEFAULT_NAMES = "norm,libnorm.so.1";

    private static final Map<String, Object> LOADED = new ConcurrentHashMap<>();

    final NormApi api;
    final LibC libc;
    /** The two libraries as JNA keeps them for the process, to close them at the plugin's unload. */
    private final NativeLibrary normLibrary;
    private final NativeLibrary cLibrary;
    /** {@code malloc} and {@code free} of the C library, for {@link NormApi#NormSetAllocationFunctions}. */
    final Pointer malloc;
    final Pointer free;
    /** Where the library was found, for the log. */
    final String file;

    private NormLibrary(NormApi api, LibC libc, NativeLibrary normLibrary, NativeLibrary cLibrary, String file) {
        this.api = api;
        this.libc = libc;
        this.normLibrary = normLibrary;
        this.cLibrary = cLibrary;
        this.malloc = cLibrary.getFunction("malloc");
        this.free = cLibrary.getFunction("free");
        this.file = file;
    }

    /** The C library calls the event loop needs: waiting on libnorm's descriptor without {@code select()}. */
    interface LibC extends Library {
        short POLLIN = 0x1;

        /** {@code struct pollfd { int fd; short events; short revents; }} */
        @Structure.FieldOrder({"fd", "events", "revents"})
        final class PollFd extends Structure {
            public int fd;
            public short events;
            public short revents;
        }

        /** {@code int poll(struct pollfd* fds, nfds_t nfds, int timeout)}: for one descriptor, nfds is 1. */
        int poll(PollFd fds, long nfds, int timeoutMillis);
    }

    /**
     * @return the library named by {@value #LIBRARY_PROPERTY} (default {@value #DEFAULT_NAMES})
     * @throws NormUnavailableException saying, for each name tried, why it could not be used
     */
    static NormLibrary load() throws NormUnavailableException {
        String names = System.getProperty(LIBRARY_PROPERTY, DEFAULT_NAMES);
        Object outcome = LOADED.computeIfAbsent(names, NormLibrary::tryLoad);
        if (outcome instanceof NormLibrary library) {
            return library;
        }
        throw new NormUnavailableException((String) outcome);
    }

    /** @return the library, or why none of the names could be used (a String) */
    private static Object tryLoad(String names) {
        List<String> problems = new ArrayList<>();
        for (String name : names.split(",")) {
            String trimmed = name.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                NativeLibrary norm = NativeLibrary.getInstance(trimmed);
                for (var method : NormApi.class.getDeclaredMethods()) {
                    norm.getFunction(method.getName()); // throws UnsatisfiedLinkError naming the missing symbol
                }
                NativeLibrary c = NativeLibrary.getInstance("c");
                return new NormLibrary(Native.load(trimmed, NormApi.class), Native.load("c", LibC.class), norm, c,
                        norm.getFile() == null ? trimmed : norm.getFile().getPath());
            } catch (LinkageError | RuntimeException e) {
                // JNA itself may be missing its native part (NoClassDefFoundError), or the library or a symbol
                problems.add("'" + trimmed + "': " + reason(e));
            }
        }
        return problems.isEmpty() ? "no library name given in " + LIBRARY_PROPERTY
                : "libnorm cannot be loaded (" + String.join("; ", problems) + ")";
    }

    /**
     * For the plugin's unload, once no transport uses libnorm any more: JNA, which the plugin JAR brings, keeps every
     * library loaded for the process and, while any is, its daemon thread "JNA Cleaner"; either would keep the
     * plugin's class loader alive. Closes the libraries loaded here and ends that thread (an interrupt ends it
     * quietly; it would otherwise linger 30 s at best). Does nothing where libnorm was never tried.
     */
    static void unloadAll() {
        if (LOADED.isEmpty()) {
            return; // JNA may never have been loaded: leave it so
        }
        for (Object outcome : LOADED.values()) {
            if (outcome instanceof NormLibrary library) {
                library.normLibrary.dispose();
                library.cLibrary.dispose();
            }
        }
        LOADED.clear();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getClass().getName().equals("com.sun.jna.internal.Cleaner$CleanerThread")
                    && thread.getClass().getClassLoader() == NormLibrary.class.getClassLoader()) {
                thread.interrupt();
            }
        }
    }

    /** JNA's first line only names the library; the dynamic linker's reason follows on the next one. */
    private static String reason(Throwable e) {
        String[] lines = String.valueOf(e.getMessage()).split("\n");
        return lines.length > 1 && lines[0].startsWith("Unable to load library") ? lines[1].trim() : lines[0].trim();
    }
}
