/**
 * The headless XO node: an Openfire that loads the XO plugin from its JAR, started by {@code bin/xo-node} (main
 * class {@link org.xo.node.XoNode}). The Openfire is the embedded 4.2.0 in the launcher's JVM, or with
 * {@code --openfire DIR} an Openfire 4.8+ server layout, copied into the node's home and run by its own start
 * script in a JVM of its own ({@link org.xo.node.LayoutHome}, {@link org.xo.node.LayoutServer}).
 * <p>
 * This package is packaged on its own ({@code xo-<version>-node.jar}) and is never part of the plugin JAR;
 * the plugin's classes are never on the node's class path either, because Openfire's plugin class loader asks
 * its parent first and would otherwise load them from there. The only coupling between node and plugin is
 * Openfire's property store: the node writes {@code xo.node.name}, {@code xo.multicast.interface} and
 * {@code xo.multicast.port} before the server starts, and the plugin reads them, exactly as it reads
 * properties set in a regular Openfire's admin console. The one exception, {@code --generate-key}
 * ({@link org.xo.node.KeyGenerator}), runs the plugin JAR's key code in a class loader of its own and then exits.
 * <p>
 * Why these pieces exist: {@link org.xo.node.HsqlConnectionProvider} avoids proxool's need for
 * {@code --add-opens} on JDK 17; the schema script under {@code resources/database} is not published with
 * Openfire on Maven Central; {@link org.xo.node.LoopbackAuthProvider} gives loopback-only nodes the XO paper's
 * proxy behaviour (any credentials, account created on first login), on either Openfire;
 * {@link org.xo.node.PropertyTable} makes changed options reach a server layout whose database already exists.
 * <p>
 * The embedded 4.2.0 has no admin console pages; with {@code --admin-port} its console's web server (Openfire's
 * AdminConsolePlugin, Jetty 9.2) serves a web app the launcher writes: the plugins' pages through Openfire's
 * PluginServlet, on loopback only, every request behind {@link org.xo.node.StatusLoginFilter} and the
 * {@link org.xo.node.StatusPassword} made at the first start. The filter is loaded from the node's class path, like
 * Openfire's own classes, not from the plugin.
 */
package org.xo.node;
