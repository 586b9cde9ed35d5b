package org.xo.node;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The node's command line. Hand-written rather than picocli: a dozen options do not justify a dependency on the
 * node's class path, and every error must come out as one plain sentence (see {@link ConfigException}).
 * A later occurrence of an option overrides an earlier one, so bin/xo-node can pass defaults before "$@";
 * {@code --plugin} and {@code --no-plugin} are one setting in this sense.
 */
final class NodeOptions {
    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: xo-node [options]",
            "  --home DIR            node state: config, database, logs, plugins (default ./xo-home)",
            "  --domain NAME         XMPP domain of this node (default localhost)",
            "  --name NAME           XO node name seen by other nodes (default: the domain)",
            "  --client-port N       client-to-server port (default 5222)",
            "  --bind ADDR           address of the client listener (default 127.0.0.1); on a loopback",
            "                        address any username/password is accepted and the account created",
            "  --interface IF        multicast interface, name or address (default lo)",
            "  --multicast-port N    UDP port of the XO multicast groups (default 45045)",
            "  --plugin JAR          XO plugin JAR to deploy (default: xo.jar next to the node's code)",
            "  --no-plugin           deploy no plugin, e.g. to install xo.jar on the admin console's Plugins page",
            "                        (--admin-port); a plugin installed in the home before stays installed",
            "  --openfire DIR        run the server layout of Openfire 4.8 or newer in DIR (read only; the home",
            "                        becomes a writable copy) in its own JVM, instead of the embedded 4.2.0;",
            "                        OPENFIRE_OPTS (e.g. -Xmx512m) is passed to that JVM by its bin/openfire.sh",
            "  --admin-port N        off by default. Embedded 4.2.0: the XO Status and Settings pages (HTTP) on",
            "                        port N of loopback only, user admin, password shown once at the first",
            "                        start. With --openfire: Openfire's admin console on port N of the --bind",
            "                        address, user admin, password in <home>/admin-password",
            "  --reset-status-password  with --admin-port on the embedded 4.2.0: make and show a new password",
            "  --bridge ROOM=FAR     gateway: bridge overlay room ROOM (its local name) with the room FAR on a",
            "                        conventional server, e.g. --bridge lobby=lobby@conference.example.org, over",
            "                        server-to-server federation (turns this node's s2s listener on, port 5269 of",
            "                        the --bind address; the far server must resolve the node's domain and gw.DOMAIN",
            "                        to that address)",
            "  --far-server HOST[:PORT]  with --bridge: reach the far room's domain and its parent domain at HOST",
            "                        (default port 5269) instead of through DNS",
            "  --set KEY=VALUE       set any Openfire or XO property, e.g. --set xo.pacing.max-delay-ms=20;",
            "                        repeatable, applied last",
            "  --generate-key FILE   write a new random overlay key to FILE (owner-only, never overwritten) and",
            "                        exit; give every node the file with --set xo.security.key-file=FILE",
            "  --help                print this help");

    /** Dot-separated words: Openfire's property names, which a server layout's first start reads as XML elements. */
    private static final Pattern PROPERTY_NAME =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*)*");
    /** The plugin's overlay key setting: a path. */
    static final String KEY_FILE_PROPERTY = "xo.security.key-file";
    /** Loose IP-literal test: only such values are tried as an interface address, never looked up in DNS. */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

    Path home = Path.of("xo-home");
    String domain = "localhost";
    String nodeName;
    int clientPort = 5222;
    String bind = "127.0.0.1";
    String multicastInterface = "lo";
    int multicastPort = 45045;
    Path pluginJar;
    /** --no-plugin: Openfire starts without the XO plugin being deployed; {@link #pluginJar} is then unused. */
    boolean noPlugin;
    /** The admin console's HTTP port (--admin-port), or 0 to keep it off. */
    int adminPort;
    /** --reset-status-password: replace the embedded node's status password at this start. */
    boolean resetStatusPassword;
    /** The Openfire server layout given with --openfire, or null for the embedded Openfire 4.2.0. */
    Path openfireDir;
    /** Properties given with --set, in order. */
    final Map<String, String> properties = new LinkedHashMap<>();
    boolean help;
    /** --bridge: the overlay room's local name and the far room's address, or null for no bridge. */
    String bridgeRoom;
    String bridgeFarRoom;
    /** --far-server: where the far room's server listens for s2s, or null to use DNS. */
    String farServer;
    /** --generate-key: write a new overlay key to this file and exit. */
    Path generateKey;

    /** Resolved by {@link #validate()}. */
    InetAddress bindAddress;
    /** Resolved by {@link #validate()}: the checked --openfire layout, or null. */
    OpenfireLayout openfire;

    static NodeOptions parse(String[] args) throws ConfigException {
        NodeOptions o = new NodeOptions();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                o.help = true;
                continue;
            }
            if (arg.equals("--reset-status-password") && value == null) {
                o.resetStatusPassword = true;
                continue;
            }
            if (arg.equals("--no-plugin")) {
                if (value != null) {
                    throw new ConfigException("Option --no-plugin takes no value (see --help).");
                }
                o.noPlugin = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new ConfigException("Unexpected argument '" + arg + "' (see --help).");
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new ConfigException("Option " + arg + " needs a value (see --help).");
                }
                value = args[++i];
            }
            switch (arg) {
                case "--home" -> o.home = Path.of(value);
                case "--domain" -> o.domain = value.trim().toLowerCase();
                case "--name" -> o.nodeName = value.trim();
                case "--client-port" -> o.clientPort = port(arg, value);
                case "--bind" -> o.bind = value.trim();
                case "--interface" -> o.multicastInterface = value.trim();
                case "--multicast-port" -> o.multicastPort = port(arg, value);
                case "--plugin" -> {
                    o.pluginJar = Path.of(value);
                    o.noPlugin = false;
                }
                case "--openfire" -> o.openfireDir = Path.of(value);
                case "--admin-port" -> o.adminPort = port(arg, value);
                case "--set" -> o.property(value);
                case "--generate-key" -> o.generateKey = Path.of(value);
                case "--bridge" -> o.bridge(value);
                case "--far-server" -> o.farServer = value.trim();
                default -> throw new ConfigException("Unknown option " + arg + " (see --help).");
            }
        }
        if (o.nodeName == null || o.nodeName.isEmpty()) {
            o.nodeName = o.domain;
        }
        return o;
    }

    private void bridge(String value) throws ConfigException {
        int eq = value.indexOf('=');
        String room = eq > 0 ? value.substring(0, eq).trim() : "";
        String far = eq > 0 ? value.substring(eq + 1).trim() : "";
        if (room.isEmpty() || !far.matches("[^@/\\s]+@[a-z0-9.-]+\\.[a-z0-9-]+")) {
            throw new ConfigException("--bridge takes ROOM=FARROOM@SERVICE.DOMAIN, such as"
                    + " lobby=lobby@conference.example.org, not '" + value + "'.");
        }
        bridgeRoom = room;
        bridgeFarRoom = far;
    }

    /**
     * Openfire's DNS override for the far room's domain and its parent (the far server's own domain, which dialback may
     * be asked about), or null without --far-server.
     */
    String farServerOverride() {
        if (farServer == null || bridgeFarRoom == null) {
            return null;
        }
        String hostPort = farServer.contains(":") ? farServer : farServer + ":5269";
        String service = bridgeFarRoom.substring(bridgeFarRoom.indexOf('@') + 1);
        String parent = service.substring(service.indexOf('.') + 1);
        return "{" + service + "," + hostPort + "}" + (parent.contains(".") ? ",{" + parent + "," + hostPort + "}" : "");
    }

    private void property(String assignment) throws ConfigException {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("--set takes KEY=VALUE, not '" + assignment + "'.");
        }
        String key = assignment.substring(0, eq).trim();
        if (!PROPERTY_NAME.matcher(key).matches()) {
            throw new ConfigException("--set needs a property name of dot-separated words (letters, digits, '-', '_'),"
                    + " not '" + key + "'.");
        }
        String value = assignment.substring(eq + 1).trim();
        if (key.equals(KEY_FILE_PROPERTY) && !value.isEmpty()) {
            // Resolved here: a server layout's Openfire runs in another directory than the one the path was typed in.
            value = Path.of(value).toAbsolutePath().normalize().toString();
        }
        properties.put(key, value);
    }

    private static int port(String option, String value) throws ConfigException {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below, with the same sentence as an out-of-range number
        }
        throw new ConfigException(option + " must be a port number from 1 to 65535, not '" + value + "'.");
    }

    /** Checks what can be checked without touching the home directory or Openfire. */
    void validate() throws ConfigException {
        if (domain.isEmpty() || !domain.matches("[a-z0-9.-]+")) {
            throw new ConfigException("--domain must be a DNS-style name such as localhost or xo.example, not '"
                    + domain + "'.");
        }
        try {
            bindAddress = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new ConfigException("--bind address '" + bind + "' cannot be resolved.");
        }
        requireInterface();
        if (!noPlugin) {
            if (pluginJar == null) {
                throw new ConfigException("No plugin JAR given and none found next to the node's code; pass --plugin.");
            }
            if (!Files.isRegularFile(pluginJar)) {
                throw new ConfigException("Plugin JAR " + pluginJar.toAbsolutePath() + " does not exist.");
            }
        }
        if (farServer != null && bridgeRoom == null) {
            throw new ConfigException("--far-server is only used with --bridge.");
        }
        if (farServer != null && !farServer.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
            throw new ConfigException("--far-server takes HOST or HOST:PORT, not '" + farServer + "'.");
        }
        if (resetStatusPassword && (adminPort == 0 || openfireDir != null)) {
            throw new ConfigException("--reset-status-password needs --admin-port and the embedded Openfire 4.2.0"
                    + " (with --openfire the admin password is in <home>/admin-password).");
        }
        if (adminPort != 0 && adminPort == clientPort) {
            throw new ConfigException("--admin-port and --client-port must differ, both are " + adminPort + ".");
        }
        if (openfireDir != null) {
            openfire = OpenfireLayout.open(openfireDir);
            LayoutServer.requireTools();
            LayoutServer.requireScriptSafeHome(home.toAbsolutePath().normalize());
        }
    }

    /**
     * Where the admin port listens: the --bind address for a server layout's admin console; loopback only for the
     * embedded node's status view (the --bind address if that is a loopback address, else the JVM's loopback
     * address, 127.0.0.1 or ::1).
     */
    InetAddress adminAddress() {
        return openfireDir != null || bindAddress.isLoopbackAddress() ? bindAddress : InetAddress.getLoopbackAddress();
    }

    boolean loopback() {
        return bindAddress.isLoopbackAddress();
    }

    private void requireInterface() throws ConfigException {
        try {
            if (NetworkInterface.getByName(multicastInterface) != null) {
                return;
            }
            if (IP_LITERAL.matcher(multicastInterface).matches()
                    && NetworkInterface.getByInetAddress(InetAddress.getByName(multicastInterface)) != null) {
                return;
            }
        } catch (SocketException | UnknownHostException e) {
            // fall through to the sentence below
        }
        throw new ConfigException("Unknown network interface '" + multicastInterface + "' for --interface (available: "
                + String.join(", ", interfaceNames()) + ").");
    }

    private static List<String> interfaceNames() {
        List<String> names = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                names.add(nif.getName());
            }
        } catch (SocketException e) {
            names.add("none could be listed");
        }
        Collections.sort(names);
        return names;
    }
}
