package org.xo.it;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two network namespaces, {@value #A} and {@value #B}, joined by one veth pair whose ends each drop a set share of the
 * UDP packets they receive (an nftables {@code numgen random} filter on ingress, so data and repair requests are lost
 * alike): a lossy radio link for the NORM tests and {@code bin/xo-bench loss}. Code runs in either namespace through
 * {@link #in} (sockets are made where the calling thread is; threads it starts stay there). Root and nftables:
 * callers check {@link NetNs#requireNftablesOrSkip()} first.
 */
public final class LossyLink implements AutoCloseable {
    public static final String A = "a";
    public static final String B = "b";
    private static final String TABLE = "xo_loss";
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");

    private final NetNs net;
    private final NetNs.Link link;

    private LossyLink(NetNs net, NetNs.Link link) {
        this.net = net;
        this.link = link;
    }

    /** @return the two namespaces and their link, up, without loss */
    public static LossyLink create() throws IOException {
        NetNs net = NetNs.create();
        try {
            net.namespace(A);
            net.namespace(B);
            return new LossyLink(net, net.link(A, B));
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** The device of the link in namespace {@code end}: the nodes' multicast interface. */
    public String device(String end) {
        return link.device(end);
    }

    /** The link itself, to cut it ({@link NetNs.Link#down()}) and restore it. */
    public NetNs.Link link() {
        return link;
    }

    /** Drops {@code percent} % of the UDP packets arriving at either end from now on (0 removes the filters). */
    public void setLoss(int percent) throws IOException {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("Loss is a percentage, not " + percent);
        }
        for (String end : new String[] {A, B}) {
            // Declaring the table first makes the delete work whether or not it exists.
            StringBuilder rules = new StringBuilder("table netdev " + TABLE + " {}\ndelete table netdev " + TABLE
                    + "\n");
            if (percent > 0) {
                rules.append("table netdev ").append(TABLE).append(" {\n  chain ingress {\n    type filter hook ingress")
                        .append(" device \"").append(link.device(end)).append("\" priority 0; policy accept;\n")
                        .append("    meta l4proto udp numgen random mod 100 < ").append(percent)
                        .append(" counter drop\n  }\n}\n");
            }
            net.execInput(end, rules.toString(), "nft", "-f", "-");
        }
    }

    /**
     * @return packets the loss filter of {@code end} dropped since it was last set (a sender's own multicast, looped
     * back to it because it is a member too, passes its ingress as well)
     */
    public long dropped(String end) throws IOException {
        Matcher m = COUNTER.matcher(net.exec(end, "nft", "list", "ruleset"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Runs {@code action} on the calling thread inside namespace {@code end}. */
    public <T> T in(String end, Callable<T> action) throws IOException {
        return NamespaceSockets.inNamespace(net.name(end), action);
    }

    @Override
    public void close() {
        net.close();
    }
}
