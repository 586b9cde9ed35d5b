package org.xo.openfire;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.time.Duration;

import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;
import org.xo.transport.norm.NormConfig;
import org.xo.transport.norm.NormTransport;

/** Builds an engine from the plugin's settings: the one place where properties become engine configuration. */
final class EngineFactory {
    private EngineFactory() {
    }

    /** @throws IllegalArgumentException with one sentence naming the bad setting */
    static XoEngine create(long nodeId, String nodeName, String overlayService, EngineListener listener) {
        String configured = XoSettings.INTERFACE.get();
        NetworkInterface nic = configured.isEmpty() ? Interfaces.defaultMulticast() : Interfaces.resolve(configured);
        UdpConfig udp = UdpConfig.on(nic)
                .withPort(XoSettings.PORT.get())
                .withTtl(XoSettings.TTL.get());
        EngineConfig config = EngineConfig.builder()
                .nodeId(nodeId)
                .nodeName(nodeName)
                .overlayService(overlayService)
                .groupBase(address(XoSettings.GROUP_BASE))
                .udp(udp)
                .payloadBudget(XoSettings.PACING_BUDGET_BYTES.get())
                .gamma(XoSettings.PACING_GAMMA.get())
                .initialRtt(Duration.ofMillis(XoSettings.PACING_RTT_MS.get()))
                .maxDelay(Duration.ofMillis(XoSettings.PACING_MAX_DELAY_MS.get()))
                .compression(XoSettings.COMPRESSION.get())
                .historyReplay(XoSettings.HISTORY_REPLAY.get())
                .discovery(XoSettings.DISCOVERY.get())
                .beaconInterval(Duration.ofMillis(XoSettings.BEACON_INTERVAL_MS.get()))
                .nodeTimeout(Duration.ofMillis(XoSettings.NODE_TIMEOUT_MS.get()))
                .controlGroup(address(XoSettings.CONTROL_GROUP))
                .dnsSd(XoSettings.DNS_SD.get())
                .build();
        return new XoEngine(config, transport(udp, nodeId), listener);
    }

    /** The transport {@code xo.transport} names; NORM starts from the round-trip time the pacing is set for. */
    private static Transport transport(UdpConfig udp, long nodeId) {
        if (!XoSettings.TRANSPORT.get().equals("norm")) {
            return new UdpMulticastTransport(udp);
        }
        Duration rtt = Duration.ofMillis(Math.max(1, XoSettings.PACING_RTT_MS.get()));
        return NormTransport.orUdp(NormConfig.from(udp, nodeId).withInitialGrtt(rtt), udp);
    }

    private static InetAddress address(Setting<String> setting) {
        String value = setting.get();
        try {
            // A literal only: a name lookup could hang on a node without DNS.
            if (!value.matches("[0-9.]+")) {
                throw new UnknownHostException(value);
            }
            return InetAddress.getByName(value);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("Property " + setting.key()
                    + " must be an IPv4 multicast address, not '" + value + "'.");
        }
    }
}
