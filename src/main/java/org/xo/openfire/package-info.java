/**
 * The Openfire adapter: the only package that imports Openfire. It turns what local clients do in overlay rooms
 * into engine envelopes ({@link org.xo.openfire.OccupantMirror}) and makes remote participants ordinary occupants
 * ({@link org.xo.openfire.Injector}, keeping its books in {@link org.xo.openfire.RemoteRoster} and receiving through
 * {@link org.xo.openfire.OverlayComponent}); {@link org.xo.openfire.Gateway} bridges one overlay room with a room on a
 * conventional server (its logic in {@code org.xo.gateway}); {@link org.xo.openfire.XoPlugin} wires them in and out,
 * and
 * {@link org.xo.openfire.SettingsApplier} runs the overlay as the properties say, applying their changes while it runs
 * ({@link org.xo.openfire.XoSettings} tells which apply in place).
 *
 * <h2>Locks</h2>
 * Openfire 4.7+ routes a room's broadcasts while holding the room's lock, and those broadcasts reach this package
 * (the component, the interceptors). So: no lock of XO's is held while calling into Openfire (router, MUC service,
 * component manager), and nothing called by Openfire waits for anything of XO's: the injector's thread owns its
 * state and Openfire's calls into it only queue work. Likewise a property change only schedules its application on
 * the thread "xo-settings", which holds no lock of XO's while it reads properties or calls the MUC service.
 * The admin pages ({@link org.xo.openfire.AdminConsole}) read what the injector publishes, never its roster, and
 * take none of Openfire's locks.
 *
 * <h2>Openfire API this package relies on</h2>
 * Built against Openfire 4.2.0 (the only version on Maven Central); users run 4.7 to 5.x. Every member below was
 * checked against 4.6.8, 4.7.5, 4.9.2, 5.1.1 and HEAD (../shared/docs/openfire-api-4.2-vs-head.md):
 * <table>
 * <caption>Openfire members used, and whether a 4.2.0 build links on newer Openfire</caption>
 * <tr><th>Class</th><th>Member</th><th>4.7+</th></tr>
 * <tr><td>container.Plugin</td><td>initializePlugin(PluginManager, File), destroyPlugin()</td><td>same</td></tr>
 * <tr><td>XMPPServer</td><td>getInstance(), getServerInfo(), getPacketRouter(), getMultiUserChatManager(),
 *     isShuttingDown(), getAdmins()</td><td>same</td></tr>
 * <tr><td>XMPPServerInfo</td><td>getXMPPDomain()</td><td>same</td></tr>
 * <tr><td>PacketRouter</td><td>route(Packet)</td><td>same</td></tr>
 * <tr><td>interceptor.InterceptorManager</td><td>getInstance(), addInterceptor, removeInterceptor</td><td>same</td></tr>
 * <tr><td>interceptor.PacketInterceptor</td><td>interceptPacket(Packet, Session, boolean, boolean)
 *     (implemented)</td><td>same, no new abstract methods</td></tr>
 * <tr><td>interceptor.PacketRejectedException</td><td>new PacketRejectedException(String)</td><td>same</td></tr>
 * <tr><td>session.ClientSession</td><td>type test only</td><td>same</td></tr>
 * <tr><td>component.InternalComponentManager</td><td>getInstance(), addComponent(String, Component),
 *     removeComponent(String, Component)</td><td>same</td></tr>
 * <tr><td>muc.MultiUserChatManager</td><td>getMultiUserChatService(String)</td><td>same</td></tr>
 * <tr><td>muc.MultiUserChatService</td><td>hasChatRoom(String), isSysadmin(JID), addSysadmin(JID),
 *     removeSysadmin(JID)</td><td>same (interface in all versions)</td></tr>
 * <tr><td>util.JiveGlobals</td><td>getProperty(String)</td><td>same</td></tr>
 * <tr><td>util.JiveGlobals</td><td>setProperty(String, String), called by reflection in {@link
 *     org.xo.openfire.Setting#store}</td><td>return type void → String in HEAD only: a direct call would not
 *     link there</td></tr>
 * <tr><td>util.PropertyEventDispatcher / PropertyEventListener</td><td>addListener, removeListener; the four
 *     callbacks (implemented)</td><td>same, no new abstract methods</td></tr>
 * <tr><td>util.JiveGlobals</td><td>getLocale() (the admin pages' language)</td><td>same</td></tr>
 * <tr><td>util.JiveGlobals</td><td>getXMLProperty(String), getIntProperty(String, int) (the gateway's check that the
 *     s2s listener accepts, {@link org.xo.openfire.Gateway})</td><td>same</td></tr>
 * <tr><td>XMPPServerInfo / util.Version</td><td>getVersion().getVersionString() (Status page)</td><td>same</td></tr>
 * <tr><td>Tinder org.xmpp.*</td><td>Component, Packet, Message, Presence, IQ, JID, PacketError</td><td>same</td></tr>
 * <tr><td>Servlet API, JSP and JSTL runtime</td><td>the admin pages ({@link org.xo.openfire.SettingsPage},
 *     {@link org.xo.openfire.StatusServlet}, and the pages compiled into {@code org.xo.openfire.jsp} by 4.2.0's
 *     Jasper 8)</td><td>links on 5.1.1's Jetty 12 / Jasper 9 (PluginLinkageIT)</td></tr>
 * <tr><td>muc.MultiUserChatService, MUCRoom, MUCRole / MUCOccupant</td><td>by reflection only, getters:
 *     getChatRooms() or getActiveChatRooms(), getName(), getOccupants(), getNickname(), getUserAddress(),
 *     getPresence() ({@link org.xo.openfire.RoomsInUse})</td><td>MUCRole is MUCOccupant in 5.x</td></tr>
 * </table>
 * Deliberately not called directly: any method on {@code MUCRoom} or {@code MUCRole} (interface in 4.2, class since
 * 4.7: IncompatibleClassChangeError), implementing {@code MUCEventListener} (new abstract methods in HEAD: the
 * AbstractMethodError escapes Openfire's dispatcher), {@code TaskEngine.schedule*} (changed in 4.9).
 */
package org.xo.openfire;
