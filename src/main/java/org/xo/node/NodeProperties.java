package org.xo.node;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jivesoftware.openfire.auth.DefaultAuthProvider;

/**
 * The Openfire properties (database-stored, not openfire.xml) that make a server an XO node, for the embedded
 * Openfire 4.2.0 and for an Openfire 4.8+ server layout alike: unknown keys are simply unused by the other.
 * The XO plugin reads its own settings ({@code xo.*}) from the same store, as in a regular Openfire.
 */
final class NodeProperties {
    private NodeProperties() {
    }

    /** Everything the node sets at every start; --set values come last and override the node's own. */
    static Map<String, String> of(NodeOptions o) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("xmpp.domain", o.domain);
        p.put("update.service-enabled", "false");
        p.put("xmpp.socket.plain.active", "true");
        p.put("xmpp.socket.plain.port", Integer.toString(o.clientPort));
        // Nagle off, as Openfire 4.8+ has it by default: with it, a reply written in two pieces (a room's status message
        // and then the result of the owner's form, say) waited for the client's delayed ACK, 40 ms each time on 4.2.0.
        p.put("xmpp.socket.tcp-nodelay", "true");
        // Optional everywhere: real clients insist on STARTTLS before authenticating, scripts on loopback may skip it.
        p.put("xmpp.client.tls.policy", "optional");
        p.put("provider.auth.className",
                (o.loopback() ? LoopbackAuthProvider.class : DefaultAuthProvider.class).getName());
        p.put("xmpp.auth.anonymous", "false");
        // Only the c2s listener: every other one would bind a fixed port that clashes between nodes on one
        // machine. Off here: direct-TLS c2s (5223), s2s (5269) and its direct TLS (5270), components (5275/5276),
        // connection managers (5262/5263), BOSH and websockets (7070/7443), file transfer proxy (7777), media
        // proxy, mDNS and the Flash policy (4.2.0 only). openfire.xml sets the admin console's port.
        p.put("xmpp.socket.ssl.active", "false");
        // s2s only for a gateway (--bridge): the far server connects back to verify the node's dialback key.
        p.put("xmpp.server.socket.active", Boolean.toString(o.bridgeRoom != null));
        p.put("xmpp.server.socket.ssl.active", "false");
        p.put("xmpp.component.socket.active", "false");
        p.put("xmpp.component.ssl.active", "false");
        p.put("xmpp.multiplex.socket.active", "false");
        p.put("xmpp.multiplex.ssl.active", "false");
        p.put("httpbind.enabled", "false");
        p.put("xmpp.proxy.enabled", "false");
        p.put("mediaproxy.enabled", "false");
        p.put("multicastDNS.enabled", "false");
        p.put("flash.crossdomain.enabled", "false");
        p.put("xo.node.name", o.nodeName);
        p.put("xo.multicast.interface", o.multicastInterface);
        p.put("xo.multicast.port", Integer.toString(o.multicastPort));
        if (o.bridgeRoom != null) {
            p.put("xo.gateway.room", o.bridgeRoom);
            p.put("xo.gateway.far-room", o.bridgeFarRoom);
            // Plain dialback by default: a node's certificate is self-signed, which a stock Openfire 4.8+ refuses
            // (strict validation) without falling back to plain dialback: no session at all. TLS works where each side
            // accepts the other's certificate (readme). Openfire 4.2 reads xmpp.server.tls.enabled, 4.3+ only the s2s
            // listener's policy. --set undoes either.
            p.put("xmpp.server.tls.enabled", "false");
            p.put("xmpp.server.tls.policy", "disabled");
            if (o.openfireDir == null) {
                // 4.2.0 tries STARTTLS whenever it calls a far server back to verify its dialback key, and its blocking
                // TLS handler never completes a TLS 1.3 handshake (the far side, Openfire 5.1.1, gives up after 10 s,
                // every time); in TLS 1.2 it completes, or fails at once and is retried in plain. With TLS on, the same
                // made its listener's STARTTLS stall with Prosody 0.12; in TLS 1.2 that completes too. s2s only.
                p.put("xmpp.socket.ssl.protocols", "TLSv1.2");
            }
            if (o.farServerOverride() != null) {
                p.put("dnsutil.dnsOverride", o.farServerOverride());
            }
        }
        p.putAll(o.properties);
        return p;
    }
}
