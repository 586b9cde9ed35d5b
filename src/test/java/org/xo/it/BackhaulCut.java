package org.xo.it;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cuts the server-to-server link between two loopback endpoints while both servers run: an nftables table of its own
 * in this network namespace drops every TCP segment to or from either endpoint's port (the way a lost backhaul drops
 * them: connections stay open, nothing passes). {@link #close} removes the table. Root and nftables: callers check
 * {@link NetNs#requireNftablesOrSkip()} first. Also the outage of {@code bin/xo-bench gateway}.
 */
public final class BackhaulCut implements AutoCloseable {
    /** Cuts in place: an interrupted run (a bench stopped with Ctrl-C) must not leave the link cut. */
    private static final Set<BackhaulCut> IN_PLACE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> IN_PLACE.forEach(cut -> {
            try {
                cut.close();
            } catch (IOException e) {
                System.err.println("The backhaul cut " + cut.table + " could not be removed: " + e.getMessage());
            }
        }), "restore-backhaul"));
    }

    private final String table;

    private BackhaulCut(String table) {
        this.table = table;
    }

    /** @return the cut, in place: segments to and from {@code a:aPort} and {@code b:bPort} are dropped */
    public static BackhaulCut between(String a, int aPort, String b, int bPort) throws IOException {
        String table = "xo_backhaul_" + ProcessHandle.current().pid();
        NetNs.run("nft", "add", "table", "inet", table);
        BackhaulCut cut = new BackhaulCut(table);
        IN_PLACE.add(cut);
        try {
            NetNs.run("nft", "add", "chain", "inet", table, "output",
                    "{ type filter hook output priority 0 ; policy accept ; }");
            for (String[] end : new String[][] {{a, Integer.toString(aPort)}, {b, Integer.toString(bPort)}}) {
                NetNs.run("nft", "add", "rule", "inet", table, "output", "ip", "daddr", end[0], "tcp", "dport", end[1],
                        "drop");
                NetNs.run("nft", "add", "rule", "inet", table, "output", "ip", "saddr", end[0], "tcp", "sport", end[1],
                        "drop");
            }
            return cut;
        } catch (IOException | RuntimeException e) {
            cut.close();
            throw e;
        }
    }

    /** Restores the link; once only. */
    @Override
    public void close() throws IOException {
        if (IN_PLACE.remove(this)) {
            NetNs.run("nft", "delete", "table", "inet", table);
        }
    }
}
