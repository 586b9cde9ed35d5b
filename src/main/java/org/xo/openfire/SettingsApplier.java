package org.xo.openfire;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xo.core.Kind;

/**
 * Runs the overlay as the plugin's properties say, and applies their changes while it runs (see {@link XoSettings}
 * for which settings apply in place and which cannot).
 * <p>
 * Changes are applied once a burst has settled ({@value #SETTLE_MS} ms after the last one: an admin page saves several
 * properties at once), on this class's own thread "xo-settings": never on the thread that stored the property, which
 * is Openfire's, and without any lock of XO's while Openfire is called.
 * <ul>
 * <li>Settings that keep the same rooms apply to the running engine ({@link Overlay#reconfigure}): the node stays
 * the same run, other nodes see nobody leave or come back, and nothing already delivered is injected again.</li>
 * <li>Another MUC service or overlay service makes other rooms overlay rooms: local occupants leave the old rooms'
 * overlay (other nodes see them go), remote participants leave the local rooms, and a new run of the node carries
 * the new rooms. With another overlay service, the local occupants enter the new overlay rooms at once; with another
 * MUC service, the rooms they are in are no longer overlay rooms, and occupants of the new service's rooms are
 * mirrored from their next entry (XO sees entries, it cannot list a room's occupants on every Openfire).</li>
 * <li>{@code xo.enabled=false} stops the overlay: local occupants leave it everywhere, remote participants leave
 * the local rooms; local occupants stay known here and are announced again when {@code xo.enabled=true} starts a new
 * run.</li>
 * </ul>
 * A change that is invalid or cannot be applied (a value out of range, a port another program holds) leaves the
 * overlay running as it was: the reason, one sentence naming the property, is logged, counted
 * ({@code settings.refused}) and kept for the status pages ({@link #problem()}) until a change applies.
 */
final class SettingsApplier {
    private static final Logger Log = LoggerFactory.getLogger(SettingsApplier.class);
    /** A burst of property changes has settled when none came for this long. */
    static final long SETTLE_MS = 300;
    /** Remote participants are taken out of the local rooms within this wait before the MUC service may change. */
    private static final long REMOVAL_WAIT_MS = 5_000;
    /** How long plugin shutdown waits for an apply in progress. */
    private static final long SHUTDOWN_WAIT_MS = 10_000;

    private final Overlay overlay;
    private final Injector injector;
    private final OccupantMirror mirror;
    private final LocalOccupancy occupancy;
    private final BridgeStats stats;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "xo-settings");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> pending;
    /** Set once the first start is done: a change stored while the plugin starts waits for it. */
    private volatile boolean started;
    private volatile String problem;
    /** Called on this class's thread after every new run of the overlay that follows a change (not the first). */
    private volatile Runnable restarted = () -> { };

    SettingsApplier(Overlay overlay, Injector injector, OccupantMirror mirror, LocalOccupancy occupancy,
                    BridgeStats stats) {
        this.overlay = overlay;
        this.injector = injector;
        this.mirror = mirror;
        this.occupancy = occupancy;
        this.stats = stats;
    }

    /** The plugin's first start, on the caller's thread: the overlay runs when the plugin is up, if it is enabled. */
    void start() {
        try {
            if (XoSettings.ENABLED.get()) {
                bringUp(overlay.readSettings());
                problem = null;
            } else {
                Log.info("XO is disabled ({}=false): nothing is mirrored", XoSettings.ENABLED.key());
            }
        } catch (RuntimeException | IOException e) {
            // A bad setting must leave Openfire running: one clear line with its cause; the overlay stays off.
            problem = e.getMessage();
            overlay.startFailed(e);
            Log.error("XO overlay not started: {}", e.getMessage(), e);
        } finally {
            started = true;
        }
    }

    /** A property of XO's changed: applies the settings once no other change came for {@value #SETTLE_MS} ms. */
    synchronized void changed() {
        if (pending != null) {
            pending.cancel(false);
        }
        try {
            pending = thread.schedule(this::applyWhenStarted, SETTLE_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // the plugin is going away: nothing more to apply
        }
    }

    /** @param hook what must follow a new run of the overlay, such as the gateway entering its room again */
    void onRestart(Runnable hook) {
        restarted = hook;
    }

    /** @return why the last change was refused, one sentence naming the property; null when it applied */
    String problem() {
        return problem;
    }

    /** Cancels what is pending and waits (bounded) for an apply in progress: the plugin is going away. */
    void shutdown() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS)) {
                Log.warn("XO settings still being applied after {} ms; the plugin stops all the same",
                        SHUTDOWN_WAIT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void applyWhenStarted() {
        if (!started) {
            changed();
            return;
        }
        long t0 = System.nanoTime();
        try {
            boolean wasRunning = overlay.isRunning();
            long restartsBefore = stats.get("settings.restarts");
            String outcome = apply();
            if (stats.get("settings.restarts") != restartsBefore || wasRunning != overlay.isRunning()) {
                restarted.run();
            }
            problem = null;
            stats.increment("settings.applied");
            Log.info("XO settings applied in {} ms: {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), outcome);
        } catch (RuntimeException | IOException e) {
            problem = e.getMessage();
            if (!overlay.isRunning()) {
                overlay.startFailed(e);
            }
            stats.increment("settings.refused");
            Log.warn("XO settings not applied ({}): {}", overlay.isRunning() ? "the overlay runs on as it was"
                    : "the overlay is off", e.getMessage(), e);
        }
    }

    /** @return what was done, for the log */
    private String apply() throws IOException {
        if (!XoSettings.ENABLED.get()) {
            if (!overlay.isRunning()) {
                return "the overlay stays off (" + XoSettings.ENABLED.key() + "=false)";
            }
            takeDown();
            stats.increment("settings.restarts");
            return "the overlay is off (" + XoSettings.ENABLED.key() + "=false): local occupants left it";
        }
        Overlay.Wanted wanted = overlay.readSettings(); // every property is checked before anything changes
        if (!overlay.isRunning()) {
            bringUp(wanted);
            stats.increment("settings.restarts");
            return "the overlay runs, as a new run of this node";
        }
        if (overlay.changesTransport(wanted)) {
            takeDown();
            bringUp(wanted);
            stats.increment("settings.restarts");
            return "the overlay runs over " + wanted.transport() + ", as a new run of this node: nodes on the other"
                    + " transport no longer hear it";
        }
        if (overlay.changesRooms(wanted)) {
            takeDown();
            if (!wanted.mucService().equals(overlay.mucSubdomain())) {
                occupancy.clear(); // their rooms are no longer overlay rooms
            }
            bringUp(wanted);
            stats.increment("settings.restarts");
            return "other rooms are overlay rooms (" + wanted.mucService() + " as " + wanted.overlayService()
                    + "): local occupants left the old ones, a new run of this node carries the new ones";
        }
        List<String> changes = overlay.reconfigure(wanted);
        occupancy.rooms().forEach(mirror::reviewRoom); // a key added or removed decides on private rooms
        return changes.isEmpty() ? "nothing changed" : "in place, the same run of this node: "
                + String.join(", ", changes);
    }

    /** Starts a new run of the overlay; local occupants' rooms are opened and the occupants announced. */
    private void bringUp(Overlay.Wanted wanted) throws IOException {
        overlay.start(injector, wanted);
        try {
            // Checks that the MUC service exists; the shared sysadmin of older versions must not outlive them.
            overlay.revokeSysadmin(injector.legacyOverlayUser());
        } catch (RuntimeException e) {
            overlay.stop();
            throw e;
        }
        adoptOccupantsAlreadyThere();
        for (String room : occupancy.rooms()) {
            overlay.openRoom(room);
        }
        for (LocalOccupancy.Seat seat : occupancy.all()) {
            overlay.publish(seat.room(), seat.nick(), Kind.PRESENCE, seat.presenceXml());
        }
    }

    /** Users who were in overlay rooms before this run (the plugin just loaded, or the overlay was off) take part now. */
    private void adoptOccupantsAlreadyThere() {
        try {
            for (RoomsInUse.Occupant occupant : overlay.occupantsAlreadyThere()) {
                mirror.adopt(occupant);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            stats.increment("mirror.adopt-failed");
            Log.warn("XO could not read who is in the rooms already; they take part in the overlay from their next"
                    + " presence: {}", e.toString(), e);
        }
    }

    /** Local occupants leave the overlay, the engine stops, remote participants leave the local rooms. */
    private void takeDown() {
        mirror.announceDepartures();
        overlay.stop(); // sends the departures first; nothing is injected after it
        if (!injector.removeAllParticipants(REMOVAL_WAIT_MS)) {
            Log.warn("XO: remote participants were not all taken out of the local rooms within {} ms",
                    REMOVAL_WAIT_MS);
        }
    }
}
