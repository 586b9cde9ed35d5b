package org.xo.it;

import java.io.IOException;

/**
 * Cuts the server-to-server link between two loopback endpoints while both servers run: an nftables table of its own
 * in this network namespace drops every TCP segment to or from either endpoint's port (the way a lost backhaul drops
 * them: connections stay open, nothing passes). {@link #close} removes the table. Root and nftables: callers check
 * {@link NetNs#requireNftablesOrSkip()} first.
 */
final class BackhaulCut implements AutoCloseable {
    private final String table;

    private BackhaulCut(String table) {
        this.table = table;
    }

    /** @return the cut, in place: segments to and from {@code a:aPort} and {@code b:bPort} are dropped */
    static BackhaulCut between(String a, int aPort, String b, int bPort) throws IOException {
        String table = "xo_backhaul_" + ProcessHandle.current().pid();
        NetNs.run("nft", "add", "table", "inet", table);
        BackhaulCut cut = new BackhaulCut(table);
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

    /** Restores the link. */
    @Override
    public void close() throws IOException {
        NetNs.run("nft", "delete", "table", "inet", table);
    }
}
