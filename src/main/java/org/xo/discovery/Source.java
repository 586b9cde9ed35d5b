package org.xo.discovery;

/** Where the {@link Directory} learned about a node. */
public enum Source {
    /** XO beacons on the control group (multi-hop, carried by multicast routing), and the node's room traffic. */
    BEACON,
    /** DNS-SD / mDNS on the local link (JmDNS), fed by {@link DnsSdAdvertiser}. */
    DNS_SD
}
