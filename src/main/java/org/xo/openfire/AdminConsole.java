package org.xo.openfire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.xo.engine.XoEngine;
import org.xo.security.OverlayKeys;

/**
 * The admin pages' handle on the running plugin. Pages and servlets are created by Openfire's PluginServlet, not by
 * the plugin, so {@link XoPlugin} installs this on load and removes it on unload. Reading a status takes no lock of
 * Openfire's and waits for nothing: the engine's and the occupancy's own short locks, and the injector's published
 * snapshot.
 */
public final class AdminConsole {
    private static volatile AdminConsole installed;

    private final String domain;
    private final String openfireVersion;
    private final Overlay overlay;
    private final LocalOccupancy occupancy;
    private final Injector injector;
    private final Gateway gateway;

    AdminConsole(String domain, String openfireVersion, Overlay overlay, LocalOccupancy occupancy, Injector injector,
                 Gateway gateway) {
        this.gateway = gateway;
        this.domain = domain;
        this.openfireVersion = openfireVersion;
        this.overlay = overlay;
        this.occupancy = occupancy;
        this.injector = injector;
    }

    static void install(AdminConsole console) {
        installed = console;
    }

    static void uninstall(AdminConsole console) {
        if (installed == console) {
            installed = null;
        }
    }

    /** @return the status now; while the plugin is not loaded, a report that says so */
    public static StatusReport status() {
        AdminConsole console = installed;
        return console == null ? StatusReport.unloaded(System.currentTimeMillis()) : console.report();
    }

    /**
     * @return what status.jsp writes before its first poll, by name: nodeId, nodeName, domain, openfire, state,
     * stateText, transport, security (a map, so that the JSP needs no class of its own to read it)
     */
    public static Map<String, String> header(Locale locale) {
        StatusReport report = status();
        Map<String, String> header = new LinkedHashMap<>();
        header.put("nodeId", report.getNodeId());
        header.put("nodeName", report.getNodeName());
        header.put("domain", report.getDomain());
        header.put("openfire", report.getOpenfire());
        header.put("state", report.state().name().toLowerCase());
        header.put("stateText", report.stateText(Messages.of(locale)));
        header.put("transport", report.transportText(Messages.of(locale)));
        header.put("security", report.securityText(Messages.of(locale)));
        return header;
    }

    private StatusReport report() {
        XoEngine engine = overlay.engine();
        String storedId = XoSettings.NODE_ID.raw();
        String name = XoSettings.NODE_NAME.raw();
        List<StatusReport.OpenRoom> open = new ArrayList<>();
        StatusReport.State state;
        if (engine != null) {
            state = StatusReport.State.RUNNING;
            name = engine.config().nodeName();
            int port = engine.config().udp().port();
            for (String room : engine.openRooms()) {
                open.add(new StatusReport.OpenRoom(room, engine.groupOf(room).getHostAddress(), port));
            }
        } else if (!enabled()) {
            state = StatusReport.State.OFF;
        } else {
            state = overlay.startFailure() != null ? StatusReport.State.FAILED : StatusReport.State.STOPPED;
        }
        StatusReport.Node self = new StatusReport.Node(engine != null ? Long.toHexString(overlay.nodeId())
                : storedId == null ? "" : storedId, name == null || name.isBlank() ? domain : name, domain,
                openfireVersion, engine == null ? "" : engine.transportKind(), wantedTransport(), keyIds(engine));
        return StatusReport.of(System.currentTimeMillis(), self, state, overlay.startFailure(), open, occupancy.all(),
                injector.remoteOccupants(), overlay.uncarriedRooms(),
                engine == null ? List.of() : engine.directory().nodes(), overlay.counters(),
                overlay::localRoomName, overlay::overlayRoom).withBridge(gateway.status());
    }

    private static List<String> keyIds(XoEngine engine) {
        OverlayKeys keys = engine == null ? null : engine.config().overlayKeys();
        return keys == null ? List.of() : keys.keys().stream().map(OverlayKeys.Key::idText).toList();
    }

    /** An invalid stored value reads as what the running engine would have taken: the default. */
    private static String wantedTransport() {
        try {
            return XoSettings.TRANSPORT.get();
        } catch (IllegalArgumentException e) {
            return XoSettings.TRANSPORT.defaultValue();
        }
    }

    /** An invalid stored flag counts as on: the overlay then fails to start and says why. */
    private static boolean enabled() {
        try {
            return XoSettings.ENABLED.get();
        } catch (IllegalArgumentException e) {
            return true;
        }
    }
}
