package org.xo.openfire;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

import org.jivesoftware.database.DbConnectionManager;
import org.xo.core.GroupAddressing;
import org.xo.core.Pacer;
import org.xo.engine.EngineConfig;
import org.xo.engine.EngineListener;
import org.xo.engine.XoEngine;
import org.xo.sync.RoomLog;
import org.xo.security.OverlayKeys;
import org.xo.transport.Interfaces;
import org.xo.transport.Transport;
import org.xo.transport.UdpConfig;
import org.xo.transport.UdpMulticastTransport;
import org.xo.transport.norm.NormConfig;
import org.xo.transport.norm.NormTransport;

/**
 * Builds engine settings, and the room log's bounds, from the plugin's properties: the one place where properties
 * become engine configuration.
 */
final class EngineFactory {
    private EngineFactory() {
    }

    /**
     * The engine settings the current properties ask for.
     *
     * @throws IllegalArgumentException with one sentence naming the property that is invalid
     */
    static EngineConfig config(long nodeId, String nodeName, String overlayService) {
        String configured = XoSettings.INTERFACE.get();
        NetworkInterface nic = configured.isEmpty() ? Interfaces.defaultMulticast()
                : forProperty(XoSettings.INTERFACE, () -> Interfaces.resolve(configured));
        UdpConfig udp = UdpConfig.on(nic)
                .withPort(XoSettings.PORT.get())
                .withTtl(XoSettings.TTL.get());
        InetAddress groupBase = forProperty(XoSettings.GROUP_BASE,
                () -> new GroupAddressing(address(XoSettings.GROUP_BASE)).base());
        int budget = XoSettings.PACING_BUDGET_BYTES.get();
        double gamma = XoSettings.PACING_GAMMA.get();
        Duration rtt = Duration.ofMillis(XoSettings.PACING_RTT_MS.get());
        Duration maxDelay = Duration.ofMillis(XoSettings.PACING_MAX_DELAY_MS.get());
        forProperty(XoSettings.PACING_BUDGET_BYTES, () -> new Pacer.Settings(budget, gamma, rtt, maxDelay));
        int interval = XoSettings.BEACON_INTERVAL_MS.get();
        int timeout = XoSettings.NODE_TIMEOUT_MS.get();
        if (timeout < 2L * interval) {
            throw new IllegalArgumentException("Property " + XoSettings.NODE_TIMEOUT_MS.key() + " must be at least"
                    + " twice " + XoSettings.BEACON_INTERVAL_MS.key() + " (" + 2L * interval + "), not " + timeout
                    + ".");
        }
        InetAddress controlGroup = address(XoSettings.CONTROL_GROUP);
        OverlayKeys keys = overlayKeys();
        return EngineConfig.builder()
                .nodeId(nodeId)
                .nodeName(nodeName)
                .overlayService(overlayService)
                .groupBase(groupBase)
                .udp(udp)
                .payloadBudget(budget)
                .gamma(gamma)
                .initialRtt(rtt)
                .maxDelay(maxDelay)
                .compression(XoSettings.COMPRESSION.get())
                .historyReplay(XoSettings.HISTORY_REPLAY.get())
                .discovery(XoSettings.DISCOVERY.get())
                .beaconInterval(Duration.ofMillis(interval))
                .nodeTimeout(Duration.ofMillis(timeout))
                .restartGrace(Duration.ofSeconds(XoSettings.RESTART_GRACE_SECONDS.get()))
                .controlGroup(controlGroup)
                .dnsSd(XoSettings.DNS_SD.get())
                .overlayKeys(keys)
                .logBounds(logBounds())
                .originEnvelopesPerSecond(XoSettings.ORIGIN_ENVELOPES_PER_SECOND.get())
                .build();
    }

    /** @return the key ring {@code xo.security.key-file} names, read now; null when it names none */
    private static OverlayKeys overlayKeys() {
        String file = XoSettings.KEY_FILE.get();
        if (file.isEmpty()) {
            return null;
        }
        try {
            return OverlayKeys.load(Path.of(file));
        } catch (OverlayKeys.KeyFileException | RuntimeException e) {
            throw new IllegalArgumentException("Property " + XoSettings.KEY_FILE.key() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The transport {@code xo.transport} names for these UDP settings, not started; NORM starts from the round-trip
     * time the pacing is set for, and falls back to UDP (saying why once) where libnorm is missing.
     */
    static Transport transport(String kind, UdpConfig udp, EngineConfig config) {
        if (!kind.equals("norm")) {
            return new UdpMulticastTransport(udp);
        }
        Duration rtt = Duration.ofMillis(Math.max(1, config.pacing().initialRtt().toMillis()));
        return NormTransport.orUdp(NormConfig.from(udp, config.nodeId()).withInitialGrtt(rtt), udp);
    }

    /** The engine for these settings, not started; it keeps the room log (which outlives it), never closes it. */
    static XoEngine create(String transportKind, EngineConfig config, EngineListener listener, RoomLog roomLog) {
        return new XoEngine(config, transport(transportKind, config.udp(), config), listener, roomLog);
    }

    /** The room log in Openfire's database, pruned by the current {@code xo.log.*} settings. */
    static DatabaseRoomLog roomLog() {
        return DatabaseRoomLog.open(DbConnectionManager::getConnection, EngineFactory::logBounds);
    }

    /**
     * What the {@code xo.log.*} settings let the room log keep.
     *
     * @throws IllegalArgumentException with one sentence naming the property that is invalid
     */
    static RoomLog.Bounds logBounds() {
        return new RoomLog.Bounds(XoSettings.LOG_MAX_PER_ROOM.get(), XoSettings.LOG_MAX_PER_ORIGIN.get(),
                Duration.ofHours(XoSettings.LOG_MAX_AGE_HOURS.get()));
    }

    /** Runs a check of one property's value; its failure becomes one sentence that names the property. */
    private static <T> T forProperty(Setting<?> setting, Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains(setting.key())) {
                throw e;
            }
            throw new IllegalArgumentException("Property " + setting.key() + ": " + e.getMessage(), e);
        }
    }

    /** @return the property's value as a multicast address (a literal: a name lookup could hang without DNS) */
    private static InetAddress address(Setting<String> setting) {
        String value = setting.get();
        try {
            if (value.matches("[0-9.]+")) {
                InetAddress address = InetAddress.getByName(value);
                if (address.isMulticastAddress()) {
                    return address;
                }
            }
        } catch (UnknownHostException e) {
            // reported below
        }
        throw new IllegalArgumentException("Property " + setting.key() + " must be an IPv4 multicast address, not '"
                + value + "'.");
    }
}
