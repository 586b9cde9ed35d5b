package org.xo.discovery;

import java.io.IOException;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.jmdns.JmDNS;
import javax.jmdns.ServiceEvent;
import javax.jmdns.ServiceInfo;
import javax.jmdns.ServiceListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS-SD on the local link with JmDNS (relocated to {@code org.xo.shaded.jmdns} in the plugin JAR, see pom.xml):
 * registers this node as a {@value DnsSdRecord#SERVICE_TYPE} service (layout in {@link DnsSdRecord}) on one
 * interface address, and feeds the peers it resolves into the {@link Directory} with {@link Source#DNS_SD}: again
 * every refresh interval while the peer stays registered and live in the directory (so that source does not
 * expire; a peer the directory lost to beacon silence is not revived from JmDNS's cache), withdrawn when the
 * service is removed. Its own service is ignored; a malformed TXT record is counted and ignored.
 * <p>
 * JmDNS takes seconds to start (about 3.5 s until the first peer is resolved) and about 2 s to close, so
 * everything runs on one daemon thread "xo-dnssd": {@link #start} and {@link #close} return at once, JmDNS's
 * callbacks are handed to that thread, {@link #awaitClosed} bounds a wait for the goodbye. TXT updates
 * ({@link #update}) are rate-limited to one per minimum gap and skipped when the record did not change.
 */
public final class DnsSdAdvertiser implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsSdAdvertiser.class);
    /** Peers remembered at the most, as many as the directory holds nodes. */
    static final int MAX_PEERS = Directory.MAX_NODES;

    /** What happened, for the engine's counters. */
    public enum Event {
        /** JmDNS runs and this node's service is registered. */
        REGISTERED,
        /** JmDNS could not start (logged); DNS-SD stays off for this run. */
        FAILED,
        /** A peer's record was resolved for the first time (or changed node id or run). */
        PEER_RESOLVED,
        /** A peer's service went away. */
        PEER_REMOVED,
        /** A peer's TXT record broke the layout. */
        MALFORMED,
        /** A new peer was ignored: {@link #MAX_PEERS} are known already. */
        PEERS_FULL,
        /** This node's TXT record was updated. */
        UPDATED
    }

    /**
     * @param bindAddress     the chosen interface's IPv4 address (JmDNS binds wrong without one; with an IPv6 one it
     *                        would announce on ff02::fb, which the overlay's IPv4 peers may not hear)
     * @param port            the overlay's UDP port, advertised as the service port
     * @param refreshInterval how often resolved peers are accepted again (below the directory's node timeout)
     * @param minUpdateGap    shortest time between two TXT updates
     */
    public record Settings(Inet4Address bindAddress, long nodeId, int epoch, String nodeName, String overlayService,
                           int port, Duration beaconInterval, Duration refreshInterval, Duration minUpdateGap) {
        public Settings {
            Objects.requireNonNull(bindAddress, "bindAddress");
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(overlayService, "overlayService");
            if (refreshInterval.isNegative() || refreshInterval.isZero() || minUpdateGap.isNegative()) {
                throw new IllegalArgumentException("Refresh interval must be positive, update gap >= 0.");
            }
        }
    }

    private final Settings settings;
    private final Directory directory;
    private final Consumer<Event> events;
    private final String instanceName;
    private final ScheduledThreadPoolExecutor worker;
    // Everything below is touched on the worker thread only.
    private JmDNS jmdns;
    private ServiceInfo own;
    private final Map<String, NodeInfo> peers = new HashMap<>();
    private Map<String, String> wantedTxt;
    private Map<String, String> registeredTxt;
    private long lastUpdateNanos;
    private boolean updateScheduled;
    private boolean closed;

    public DnsSdAdvertiser(Settings settings, Directory directory, Consumer<Event> events) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.events = Objects.requireNonNull(events, "events");
        this.instanceName = DnsSdRecord.instanceName(settings.nodeName(), settings.nodeId());
        this.worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "xo-dnssd");
            t.setDaemon(true);
            return t;
        });
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        worker.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /** @return this node's instance name */
    public String instanceName() {
        return instanceName;
    }

    /** Starts JmDNS and registers this node, on the worker thread; returns at once. */
    public void start(List<AdvertisedRoom> rooms) {
        Map<String, String> txt = txt(rooms);
        run(() -> {
            wantedTxt = txt;
            startNow();
        });
        long refresh = settings.refreshInterval().toNanos();
        worker.scheduleWithFixedDelay(guarded(this::refresh), refresh, refresh, TimeUnit.NANOSECONDS);
    }

    /**
     * Like {@link #start}, once the closing {@code predecessor} has said its goodbye (or after {@code wait}): a new
     * registration of the same node, perhaps under the same name, must not race the old one's unregistration.
     * Returns at once.
     */
    public void startAfter(DnsSdAdvertiser predecessor, Duration wait, List<AdvertisedRoom> rooms) {
        run(() -> {
            try {
                if (!predecessor.awaitClosed(wait)) {
                    LOG.debug("DNS-SD: the previous registration still closes after {} ms; registering anew all the"
                            + " same", wait.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        start(rooms);
    }

    /** The advertised rooms may have changed: the TXT record follows, at most once per minimum gap. */
    public void update(List<AdvertisedRoom> rooms) {
        Map<String, String> txt = txt(rooms);
        run(() -> {
            wantedTxt = txt;
            if (!updateScheduled && !closed) {
                updateScheduled = true;
                long wait = lastUpdateNanos + settings.minUpdateGap().toNanos() - System.nanoTime();
                schedule(this::applyUpdate, Math.max(0, wait));
            }
        });
    }

    /** Unregisters (a goodbye on the link) and closes JmDNS on the worker thread; returns at once. Idempotent. */
    @Override
    public void close() {
        run(this::closeNow);
        worker.shutdown();
    }

    /** @return whether {@link #close()} was called and JmDNS's goodbye has finished */
    public boolean isClosed() {
        return worker.isTerminated();
    }

    /** @return whether the worker finished closing within the wait */
    public boolean awaitClosed(Duration wait) throws InterruptedException {
        return worker.awaitTermination(wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    private Map<String, String> txt(List<AdvertisedRoom> rooms) {
        return DnsSdRecord.encode(settings.nodeId(), settings.epoch(), settings.beaconInterval(),
                settings.overlayService(), rooms);
    }

    private void startNow() {
        if (closed) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            jmdns = JmDNS.create(settings.bindAddress(), "xo-" + String.format("%016x", settings.nodeId()));
            jmdns.addServiceListener(DnsSdRecord.SERVICE_TYPE, new Listener());
            own = ServiceInfo.create(DnsSdRecord.SERVICE_TYPE, instanceName, settings.port(), 0, 0, wantedTxt);
            jmdns.registerService(own);
            registeredTxt = wantedTxt;
            lastUpdateNanos = System.nanoTime();
            emit(Event.REGISTERED);
            LOG.info("DNS-SD: '{}' registered as {} on {} in {} ms", instanceName, DnsSdRecord.SERVICE_TYPE,
                    settings.bindAddress().getHostAddress(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (IOException | RuntimeException e) {
            LOG.warn("DNS-SD could not start on " + settings.bindAddress().getHostAddress()
                    + "; beacons alone announce this node", e);
            emit(Event.FAILED);
            closeJmDns();
        }
    }

    private void applyUpdate() {
        updateScheduled = false;
        if (closed || own == null || wantedTxt.equals(registeredTxt)) {
            return;
        }
        own.setText(wantedTxt);
        registeredTxt = wantedTxt;
        lastUpdateNanos = System.nanoTime();
        emit(Event.UPDATED);
    }

    private void refresh() {
        if (closed) {
            return;
        }
        for (NodeInfo peer : peers.values()) {
            // Only while the directory still holds it through DNS-SD: a peer lost to beacon silence stays lost
            // until it is heard or resolved again (JmDNS's cache would keep a crashed peer for an hour).
            boolean live = directory.node(peer.nodeId())
                    .filter(k -> k.info().epoch() == peer.epoch() && k.sources().contains(Source.DNS_SD)).isPresent();
            if (live) {
                directory.accept(peer, Source.DNS_SD);
            }
        }
    }

    private void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        peers.clear(); // the engine is closing: no withdraw, its listener must not see every peer lost
        closeJmDns();
    }

    private void closeJmDns() {
        JmDNS j = jmdns;
        jmdns = null;
        own = null;
        if (j == null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            j.unregisterAllServices();
            j.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Closing JmDNS failed", e);
        }
        LOG.debug("DNS-SD closed in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private void onResolved(ServiceInfo info) {
        if (closed) {
            return;
        }
        String name = info.getName();
        Map<String, String> txt = new HashMap<>();
        for (Enumeration<String> keys = info.getPropertyNames(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            String value = info.getPropertyString(key);
            if (value != null) {
                txt.put(key, value);
            }
        }
        if (txt.isEmpty()) {
            return; // the first resolved event often has no TXT yet; a later one does
        }
        if (info.getPort() != settings.port()) {
            return; // another overlay on this link: its rooms' traffic never reaches our port
        }
        txt.put(DnsSdRecord.PORT_KEY, Integer.toString(info.getPort()));
        NodeInfo node;
        try {
            node = DnsSdRecord.decode(name, txt, settings.overlayService());
        } catch (MalformedBeaconException | RuntimeException e) {
            emit(Event.MALFORMED);
            LOG.debug("DNS-SD: ignored the malformed record of '{}': {}", name, e.getMessage());
            return;
        } catch (DnsSdRecord.OtherOverlayException e) {
            return;
        }
        if (node.nodeId() == settings.nodeId()) {
            return; // our own service
        }
        if (peers.size() >= MAX_PEERS && !peers.containsKey(name)) {
            emit(Event.PEERS_FULL); // a flood of made-up services: the known peers stay
            return;
        }
        NodeInfo before = peers.put(name, node);
        if (before != null && (before.nodeId() != node.nodeId() || before.epoch() != node.epoch())) {
            directory.withdraw(before.nodeId(), before.epoch(), Source.DNS_SD);
        }
        directory.accept(node, Source.DNS_SD);
        if (before == null || before.nodeId() != node.nodeId() || before.epoch() != node.epoch()) {
            emit(Event.PEER_RESOLVED);
            LOG.debug("DNS-SD: resolved node {} ('{}', {} rooms)", Long.toHexString(node.nodeId()), name,
                    node.rooms().size());
        }
    }

    private void onRemoved(String name) {
        NodeInfo gone = peers.remove(name);
        if (gone != null && !closed) {
            directory.withdraw(gone.nodeId(), gone.epoch(), Source.DNS_SD);
            emit(Event.PEER_REMOVED);
        }
    }

    /** JmDNS's threads hand everything to the worker. */
    private final class Listener implements ServiceListener {
        @Override
        public void serviceAdded(ServiceEvent event) {
            // JmDNS resolves added services of a listened type by itself: serviceResolved follows.
        }

        @Override
        public void serviceRemoved(ServiceEvent event) {
            String name = event.getName();
            run(() -> onRemoved(name));
        }

        @Override
        public void serviceResolved(ServiceEvent event) {
            ServiceInfo info = event.getInfo();
            if (info != null) {
                run(() -> onResolved(info));
            }
        }
    }

    private void emit(Event event) {
        try {
            events.accept(event);
        } catch (RuntimeException e) {
            LOG.warn("DNS-SD event consumer failed", e);
        }
    }

    private void run(Runnable task) {
        schedule(task, 0);
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            worker.schedule(guarded(task), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            // closed: nothing more to do
        }
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("DNS-SD task failed", e);
            }
        };
    }
}
