package org.xo.it;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What of the XO plugin a running Openfire JVM holds, seen from outside the process: its threads (by name), its UDP
 * sockets, the live instances of XO's classes and the number of plugin class loaders. Taken with the JDK's
 * {@code jcmd} (as {@link ThreadDumps}) and Linux's {@code /proc}; a full GC runs first, so only reachable objects
 * count: an instance left after an unload is one that Openfire still references.
 *
 * @param threads            names of XO's threads ({@code xo-*}) and of the JmDNS threads XO starts
 * @param udpSockets         the process's UDP sockets as "udp ADDRESS:PORT" (an IPv6 address in /proc's hex)
 * @param xoInstances        live instances by class, for every class of the plugin JAR ({@code org.xo.}, shaded JmDNS
 *                           included); not the node launcher's {@code org.xo.node.}, which is no part of the plugin
 * @param pluginClassLoaders live instances of Openfire's PluginClassLoader: one per loaded plugin
 */
record XoFootprint(List<String> threads, List<String> udpSockets, Map<String, Long> xoInstances,
                   long pluginClassLoaders) {
    private static final String PLUGIN_CLASS_LOADER = "org.jivesoftware.openfire.container.PluginClassLoader";
    /** A thread's header line in a thread dump: {@code "name" #12 daemon prio=5 ...}. */
    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" #", Pattern.MULTILINE);
    /** A class histogram row: {@code   12:     34     5678  org.xo.core.Pacer (module)}. */
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+(\\S+)",
            Pattern.MULTILINE);
    private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

    static XoFootprint of(long pid) throws IOException, InterruptedException {
        List<String> threads = new ArrayList<>();
        Matcher thread = THREAD.matcher(ThreadDumps.of(pid));
        while (thread.find()) {
            String name = thread.group(1);
            if (name.startsWith("xo-") || name.contains("JmDNS")) {
                threads.add(name);
            }
        }
        threads.sort(null);
        ThreadDumps.jcmd(pid, "GC.run");
        Map<String, Long> xoInstances = new TreeMap<>();
        long loaders = 0;
        Matcher row = HISTOGRAM_ROW.matcher(ThreadDumps.jcmd(pid, "GC.class_histogram"));
        while (row.find()) {
            long count = Long.parseLong(row.group(1));
            if (row.group(2).startsWith("org.xo.") && !row.group(2).startsWith("org.xo.node.")) {
                xoInstances.put(row.group(2), count);
            } else if (row.group(2).equals(PLUGIN_CLASS_LOADER)) {
                loaders = count;
            }
        }
        return new XoFootprint(List.copyOf(threads), udpSockets(pid), xoInstances, loaders);
    }

    /** An IPv4 address as /proc writes it (hex, in host byte order: little-endian here) made readable. */
    private static String address(String hex) {
        if (hex.length() != 8) {
            return hex;
        }
        int value = Integer.reverseBytes(Integer.parseUnsignedInt(hex, 16));
        return (value >>> 24) + "." + (value >>> 16 & 0xff) + "." + (value >>> 8 & 0xff) + "." + (value & 0xff);
    }

    /** The UDP sockets among the process's file descriptors, from the socket tables of its network namespace. */
    private static List<String> udpSockets(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher link = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
                    if (link.matches()) {
                        inodes.add(link.group(1));
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor closed while we listed them is no socket of the process any more
                }
            }
        }
        List<String> sockets = new ArrayList<>();
        for (String table : List.of("udp", "udp6")) {
            List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table));
            for (String line : lines.subList(1, lines.size())) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                String[] fields = line.trim().split("\\s+");
                if (inodes.contains(fields[9])) {
                    String[] local = fields[1].split(":");
                    sockets.add("udp " + address(local[0]) + ":" + Integer.parseInt(local[1], 16));
                }
            }
        }
        sockets.sort(null);
        return List.copyOf(sockets);
    }
}
