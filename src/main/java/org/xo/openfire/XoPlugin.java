package org.xo.openfire;

import java.io.File;
import java.time.Duration;
import java.util.Map;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.openfire.component.InternalComponentManager;
import org.jivesoftware.openfire.container.Plugin;
import org.jivesoftware.openfire.container.PluginManager;
import org.jivesoftware.openfire.interceptor.InterceptorManager;
import org.jivesoftware.util.PropertyEventDispatcher;
import org.jivesoftware.util.PropertyEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xo.transport.norm.NormTransport;

/**
 * The XO plugin: wires the overlay into Openfire and takes it out again. Everything added here is removed in
 * {@link #destroyPlugin()}, each removal on its own so one failure does not keep the others in place.
 */
public class XoPlugin implements Plugin, PropertyEventListener {
    private static final Logger Log = LoggerFactory.getLogger(XoPlugin.class);

    /** Bound on the wait for JmDNS's goodbye at an unload (it takes about 2 s, 4 s on a busy machine). */
    private static final Duration DNS_SD_GOODBYE_WAIT = Duration.ofSeconds(10);

    private final BridgeStats stats = new BridgeStats();
    private final LocalOccupancy occupancy = new LocalOccupancy();
    private DatabaseRoomLog roomLog;
    private Overlay overlay;
    private Injector injector;
    private OverlayComponent component;
    private OccupantMirror mirror;
    private Gateway gateway;
    private InstantRoomCompleter roomCompleter;
    private RemoteRoomListing roomListing;
    private SettingsApplier settings;
    private AdminConsole adminConsole;

    @Override
    public void initializePlugin(PluginManager manager, File pluginDirectory) {
        XMPPServer server = XMPPServer.getInstance();
        roomLog = EngineFactory.roomLog();
        overlay = new Overlay(server.getServerInfo().getXMPPDomain(), stats, roomLog);
        HistoryReplay history = new HistoryReplay(overlay, occupancy, overlay::roomLog,
                server.getPacketRouter()::route, stats);
        injector = new Injector(overlay, occupancy, history, stats, server.getPacketRouter());
        mirror = new OccupantMirror(overlay, occupancy, injector, history, stats, server::isShuttingDown);
        gateway = new Gateway(overlay, mirror, injector, stats, server.getPacketRouter());
        settings = new SettingsApplier(overlay, injector, mirror, occupancy, stats);
        SettingsQuery settingsQuery = new SettingsQuery(jid -> server.getAdmins().contains(jid), settings, stats);
        component = new OverlayComponent(injector, overlay, stats, server.getPacketRouter(), settingsQuery,
                gateway::status);
        roomCompleter = new InstantRoomCompleter(overlay, server.getPacketRouter(), stats);
        roomListing = new RemoteRoomListing(overlay, stats);
        adminConsole = new AdminConsole(server.getServerInfo().getXMPPDomain(),
                server.getServerInfo().getVersion().getVersionString(), overlay, occupancy, injector, gateway);
        AdminConsole.install(adminConsole);
        try {
            InternalComponentManager.getInstance().addComponent(OverlayComponent.SUBDOMAIN, component);
        } catch (Exception e) {
            Log.error("XO plugin could not register its component {}", OverlayComponent.SUBDOMAIN, e);
            overlay.startFailed(e);
            return;
        }
        try {
            InternalComponentManager.getInstance().addComponent(Gateway.SUBDOMAIN, gateway);
        } catch (Exception e) {
            Log.error("XO plugin could not register its gateway component {}; no bridge", Gateway.SUBDOMAIN, e);
        }
        InterceptorManager.getInstance().addInterceptor(mirror);
        InterceptorManager.getInstance().addInterceptor(roomCompleter);
        InterceptorManager.getInstance().addInterceptor(roomListing);
        PropertyEventDispatcher.addListener(this);
        settings.start();
        settings.onRestart(gateway::restart);
        gateway.apply();
        Log.info("XO plugin started");
    }

    @Override
    public void destroyPlugin() {
        // Unloaded at run time, as opposed to a server shutdown: nothing of the plugin may stay behind.
        boolean unloadedAtRunTime = !XMPPServer.getInstance().isShuttingDown();
        AdminConsole.uninstall(adminConsole);
        PropertyEventDispatcher.removeListener(this);
        if (settings != null) {
            settings.shutdown(); // no change is applied while the rest goes
        }
        if (gateway != null) {
            // Before the mirror goes: the bridge's stand-ins leave the overlay like local occupants.
            runQuietly("stopping the gateway", gateway::stop);
            runQuietly("removing the gateway component",
                    () -> InternalComponentManager.getInstance().removeComponent(Gateway.SUBDOMAIN, gateway));
        }
        if (roomListing != null) {
            InterceptorManager.getInstance().removeInterceptor(roomListing);
        }
        if (roomCompleter != null) {
            InterceptorManager.getInstance().removeInterceptor(roomCompleter);
            roomCompleter.shutdown();
        }
        if (mirror != null) {
            InterceptorManager.getInstance().removeInterceptor(mirror);
            // This run ends, its users did not leave: the goodbye that closing the overlay sends says so.
            runQuietly("ending local occupants' run", mirror::nodeStopping);
        }
        if (overlay != null) {
            // Flushes what the mirror sent last before the socket closes; nothing is injected after this.
            runQuietly("stopping the overlay", unloadedAtRunTime ? this::stopOverlayCompletely : overlay::stop);
        }
        if (injector != null) {
            // Unloaded at run time: remote occupants must not stay behind as ghosts.
            runQuietly("stopping injection", () -> injector.stop(unloadedAtRunTime));
            runQuietly("removing the component",
                    () -> InternalComponentManager.getInstance().removeComponent(OverlayComponent.SUBDOMAIN, component));
        }
        if (roomLog != null) {
            // After the overlay: what it sent last is written before the writer stops.
            runQuietly("closing the room log", roomLog::close);
        }
        if (unloadedAtRunTime) {
            runQuietly("unloading libnorm", NormTransport::unloadLibraries);
            // Last: no code of the plugin runs any more that could link another record's methods.
            runQuietly("releasing the JDK's record method caches", RecordMethodCaches::release);
        }
        Log.info("XO plugin stopped");
    }

    /** Stops the overlay and waits for the DNS-SD goodbye (about 2 s): its threads must not outlive the plugin. */
    private void stopOverlayCompletely() {
        try {
            overlay.stopAndAwait(DNS_SD_GOODBYE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void runQuietly(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            Log.warn("XO plugin: error while {}", what, e);
        }
    }

    @Override
    public void propertySet(String property, Map<String, Object> params) {
        if (property.startsWith("xo.gateway.") && gateway != null) {
            gateway.apply(); // only queues, like the line below
        } else if (property.startsWith("xo.") && !property.equals(XoSettings.NODE_ID.key()) && settings != null) {
            settings.changed(); // only queues: this is Openfire's thread
        }
    }

    @Override
    public void propertyDeleted(String property, Map<String, Object> params) {
        propertySet(property, params);
    }

    @Override
    public void xmlPropertySet(String property, Map<String, Object> params) {
    }

    @Override
    public void xmlPropertyDeleted(String property, Map<String, Object> params) {
    }
}
