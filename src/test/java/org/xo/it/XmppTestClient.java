package org.xo.it;

import java.net.InetAddress;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.SimpleIQ;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.MucEnterConfiguration;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.EntityFullJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.jid.parts.Resourcepart;

/**
 * A real Smack client on one node, as an unmodified XMPP client would be: plain TCP on loopback, any credentials.
 * Everything it receives is queued so tests can wait for what a user would see.
 * <p>
 * A node bound to another address ({@code --bind}, e.g. in a network namespace) requires real accounts:
 * {@link #registered(NodeProcess, String)} registers one in-band (XEP-0077) first and connects to the node's
 * client address.
 */
public final class XmppTestClient implements AutoCloseable {
    static final long WAIT_MS = 20_000;
    private static final java.util.concurrent.atomic.AtomicInteger RESOURCES = new java.util.concurrent.atomic.AtomicInteger();

    public final XMPPTCPConnection connection;
    public final String domain;
    final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    /** Every message received, in order; waiting for messages does not take them from here. */
    public final List<Message> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final BlockingQueue<Presence> presences = new LinkedBlockingQueue<>();
    private final Map<String, MultiUserChat> rooms = new ConcurrentHashMap<>();

    /** On a loopback node (127.0.0.1): any password logs in, the account is created on first login. */
    public XmppTestClient(int port, String domain, String user) throws Exception {
        this("127.0.0.1", port, domain, user, "any-password-" + user, false);
    }

    /**
     * A client of the node at {@code host} (an IP address) and {@code port}.
     *
     * @param register first create the account in-band (XEP-0077, allowed over plain TCP here), as a node bound
     *                 off loopback requires; an account that exists already is used as it is
     */
    public XmppTestClient(String host, int port, String domain, String user, String password, boolean register)
            throws Exception {
        this.domain = domain;
        XMPPTCPConnectionConfiguration config = XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(domain)
                .setHostAddress(InetAddress.getByName(host))
                .setPort(port)
                .setUsernameAndPassword(user, password)
                // A resource of its own per client: suspected cause of a rare join left unanswered on both Openfires
                // (no server thread stuck, nothing in the logs) is a new client taking the resource of one just closed
                // while the server still ends that session.
                .setResource("it-" + RESOURCES.incrementAndGet())
                .setSecurityMode(SecurityMode.disabled)
                .setSendPresence(true)
                .build();
        connection = new XMPPTCPConnection(config);
        // Stream management deadlocks Smack 4.4 under bursts (its writer waits on the unacknowledged-stanza queue
        // while its reader waits to queue an ack); these clients do not need resumption.
        connection.setUseStreamManagement(false);
        connection.setReplyTimeout(WAIT_MS);
        // Synchronous listeners see stanzas in the order they arrived (asynchronous ones on a pool do not: a test
        // that checks history order failed on it); they only queue, so they never hold up Smack's reader.
        connection.addSyncStanzaListener(s -> {
            received.add((Message) s);
            messages.add((Message) s);
        }, StanzaTypeFilter.MESSAGE);
        connection.addSyncStanzaListener(s -> presences.add((Presence) s), StanzaTypeFilter.PRESENCE);
        connection.connect();
        try {
            if (register) {
                registerIfNew(connection, user, password);
            }
            connection.login();
        } catch (Exception e) {
            connection.instantShutdown();
            throw e;
        }
    }

    /**
     * Creates the account in-band (XEP-0077, allowed over plain TCP on test nodes) on a connected, not yet logged-in
     * connection; an account that exists already is fine.
     */
    public static void registerIfNew(XMPPTCPConnection connection, String user, String password) throws Exception {
        AccountManager accounts = AccountManager.getInstance(connection);
        accounts.sensitiveOperationOverInsecureConnection(true);
        try {
            accounts.createAccount(Localpart.from(user), password);
        } catch (XMPPErrorException e) {
            if (e.getStanzaError().getCondition() != StanzaError.Condition.conflict) {
                throw e;
            }
        }
    }

    /** A client of {@code node} (at its client address) with an account {@code user} registered in-band first. */
    public static XmppTestClient registered(NodeProcess node, String user) throws Exception {
        return new XmppTestClient(node.clientAddress(), node.clientPort(), node.domain(), user, "pw-" + user, true);
    }

    EntityBareJid roomJid(String room) throws Exception {
        return JidCreate.entityBareFrom(room + "@conference." + domain);
    }

    EntityFullJid occupantJid(String room, String nick) throws Exception {
        return JidCreate.entityFullFrom(room + "@conference." + domain + "/" + nick);
    }

    /**
     * Joins (creating as an instant room when needed), asking for up to 50 messages of history. A room someone else
     * has just created is locked until its creator configures it (XEP-0045 10.1.1; milliseconds for XO's gateway,
     * which creates the room as it starts): that refusal is tried again for a few seconds, as a user would.
     */
    public MultiUserChat join(String room, String nick) throws Exception {
        MultiUserChat muc = MultiUserChatManager.getInstanceFor(connection).getMultiUserChat(roomJid(room));
        MucEnterConfiguration enter = muc.getEnterConfigurationBuilder(Resourcepart.from(nick))
                .requestMaxStanzasHistory(50).build();
        MultiUserChat.MucCreateConfigFormHandle handle = null;
        for (int attempt = 1; ; attempt++) {
            try {
                handle = muc.createOrJoin(enter);
                break;
            } catch (org.jivesoftware.smack.XMPPException.XMPPErrorException e) {
                boolean locked = e.getStanzaError().getCondition()
                        == org.jivesoftware.smack.packet.StanzaError.Condition.item_not_found;
                if (!locked || attempt == 10) {
                    throw e;
                }
                Thread.sleep(300);
            }
        }
        if (handle != null) {
            handle.makeInstant();
        }
        rooms.put(room, muc);
        return muc;
    }

    /** Joins a password-protected room; throws the room's error when it refuses. */
    void joinWithPassword(String room, String nick, String password) throws Exception {
        MultiUserChat muc = MultiUserChatManager.getInstanceFor(connection).getMultiUserChat(roomJid(room));
        muc.join(muc.getEnterConfigurationBuilder(Resourcepart.from(nick)).withPassword(password)
                .requestMaxStanzasHistory(50).build());
        rooms.put(room, muc);
    }

    /** Lets {@link #say} and {@link #occupantNicks} use a room the caller entered in its own way. */
    public void track(String room, MultiUserChat muc) {
        rooms.put(room, muc);
    }

    /** Joins like a minimal client: the MUC join presence only, never configuring a room it creates. */
    void joinWithoutConfiguring(String room, String nick) throws Exception {
        Presence join = connection.getStanzaFactory().buildPresenceStanza().to(occupantJid(room, nick))
                .addExtension(new org.jivesoftware.smackx.muc.packet.MUCInitialPresence(null, -1, -1, -1, null))
                .build();
        connection.sendStanza(join);
    }

    /**
     * Submits an owner's room configuration with the given fields, booleans as "1"/"0": Openfire 4.2 reads only those
     * (Smack's own form manager writes "true", which 4.2 takes for false).
     */
    void configureRoom(String room, Map<String, String> fields) throws Exception {
        org.jivesoftware.smackx.xdata.packet.DataForm.Builder form = org.jivesoftware.smackx.xdata.packet.DataForm
                .builder(org.jivesoftware.smackx.xdata.packet.DataForm.Type.submit)
                .setFormType("http://jabber.org/protocol/muc#roomconfig");
        fields.forEach((name, value) -> form.addField(
                org.jivesoftware.smackx.xdata.FormField.textSingleBuilder(name).setValue(value).build()));
        org.jivesoftware.smackx.muc.packet.MUCOwner owner = new org.jivesoftware.smackx.muc.packet.MUCOwner();
        owner.setTo(roomJid(room));
        owner.setType(IQ.Type.set);
        owner.addExtension(form.build());
        connection.sendIqRequestAndWaitForResponse(owner);
    }

    MultiUserChat room(String room) {
        return rooms.get(room);
    }

    /** @return the room's configuration as its owner form shows it to this client (an owner): field → first value */
    Map<String, String> roomConfiguration(String room) {
        org.jivesoftware.smackx.muc.packet.MUCOwner get = new org.jivesoftware.smackx.muc.packet.MUCOwner();
        IQ answer;
        try {
            get.setTo(roomJid(room));
            get.setType(IQ.Type.get);
            answer = connection.sendIqRequestAndWaitForResponse(get);
        } catch (Exception e) {
            throw new IllegalStateException(connection.getUser() + " could not read the configuration of " + room, e);
        }
        org.jivesoftware.smackx.xdata.packet.DataForm form = org.jivesoftware.smackx.xdata.packet.DataForm.from(answer);
        Map<String, String> fields = new java.util.HashMap<>();
        for (org.jivesoftware.smackx.xdata.FormField field : form.getFields()) {
            if (field.getFieldName() != null && !field.getValues().isEmpty()) {
                fields.put(field.getFieldName(), field.getValues().get(0).toString());
            }
        }
        return fields;
    }

    public void say(String room, String body) throws Exception {
        rooms.get(room).sendMessage(body);
    }

    /**
     * Changes nick with the plain XEP-0045 presence. Smack's own changeNickname() waits for a reply it does not
     * recognise from Openfire 4.2 (it times out even without XO), like its leave().
     */
    void changeNick(String room, String newNick) throws Exception {
        Presence presence = connection.getStanzaFactory().buildPresenceStanza()
                .to(occupantJid(room, newNick)).build();
        connection.sendStanza(presence);
    }

    void privateMessage(String room, String nick, String body) throws Exception {
        Message message = connection.getStanzaFactory().buildMessageStanza()
                .to(occupantJid(room, nick)).ofType(Message.Type.chat).setBody(body).build();
        connection.sendStanza(message);
    }

    /** Waits for messages with each of these bodies, in any order (others received meanwhile are passed over). */
    void awaitBodies(Collection<String> bodies, String what) throws InterruptedException {
        Set<String> pending = new HashSet<>(bodies);
        while (!pending.isEmpty()) {
            Message m = awaitMessage(msg -> pending.contains(msg.getBody()), what + " (still missing: " + pending + ")");
            pending.remove(m.getBody());
        }
    }

    /** @return the first message received (now or within the wait) that matches, or fails the test */
    Message awaitMessage(Predicate<Message> match, String what) throws InterruptedException {
        return await(messages, match, what);
    }

    Presence awaitPresence(Predicate<Presence> match, String what) throws InterruptedException {
        return await(presences, match, what);
    }

    private <T extends Stanza> T await(BlockingQueue<T> queue, Predicate<T> match, String what)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        for (T s; (s = queue.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) != null; ) {
            if (match.test(s)) {
                return s;
            }
            if (System.currentTimeMillis() > deadline) {
                break;
            }
        }
        throw new AssertionError(connection.getUser() + " did not see " + what + " within " + WAIT_MS + " ms");
    }

    /** @return one counter of the node's ({@link #xoStats()}), -1 if it has none by that name; fails if unreadable */
    public long xoStat(String name) {
        try {
            return xoStats().getOrDefault(name, -1L);
        } catch (Exception e) {
            throw new AssertionError("the node's counters cannot be read", e);
        }
    }

    /** @return how many messages with this body the client has received (echoes and doubles included) */
    public long copies(String body) {
        return received.stream().filter(m -> body.equals(m.getBody())).count();
    }

    /**
     * For a gateway test's failure message: the room's occupants as a client on each side sees them and the gateway
     * node's non-zero counters (read through {@code xoSide}); either client may be null.
     */
    static String bridgeState(XmppTestClient xoSide, XmppTestClient farSide, String room) {
        String stats;
        try {
            stats = xoSide == null ? "no client" : xoSide.xoStats().entrySet().stream().filter(e -> e.getValue() != 0)
                    .toList().toString();
        } catch (Exception e) {
            stats = e.toString();
        }
        return (xoSide == null || xoSide.room(room) == null ? "" : "XO room: " + xoSide.occupantNicks(room))
                + (farSide == null || farSide.room(room) == null ? "" : " far room: " + farSide.occupantNicks(room))
                + "\nnode counters: " + stats;
    }

    /** Polls a condition on the client's view (occupant list, subject) until it holds or the wait is over. */
    public static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not seen within " + WAIT_MS + " ms: " + what);
            }
            Thread.sleep(50);
        }
    }

    /**
     * @return the available presences among {@code presences} that {@code from} accepts, but for those that only give
     * the occupant another role (the room giving a participant its home room's role right after its entry)
     */
    public static long entries(java.util.Collection<Presence> presences, Predicate<Presence> from) {
        long count = 0;
        Presence previous = null;
        for (Presence p : presences) {
            if (from.test(p) && p.getType() == Presence.Type.available) {
                boolean roleUpdate = previous != null && !role(previous).equals(role(p))
                        && previous.getMode() == p.getMode() && java.util.Objects.equals(previous.getStatus(),
                        p.getStatus());
                count += roleUpdate ? 0 : 1;
                previous = p;
            }
        }
        return count;
    }

    /** @return the occupant's role as a room's presence gives it, or "" */
    public static String role(Presence p) {
        org.jivesoftware.smackx.muc.packet.MUCUser user = org.jivesoftware.smackx.muc.packet.MUCUser.from(p);
        return user == null || user.getItem() == null ? "" : String.valueOf(user.getItem().getRole());
    }

    public List<String> occupantNicks(String room) {
        return rooms.get(room).getOccupants().stream().map(j -> j.getResourcepart().toString()).sorted().toList();
    }

    /** The node's live XO counters, from the plugin's component ({@code urn:xo:stats:0} on xo.&lt;domain&gt;). */
    public Map<String, Long> xoStats() throws Exception {
        StatsQuery query = new StatsQuery();
        query.setTo(JidCreate.domainBareFrom("xo." + domain));
        query.setType(IQ.Type.get);
        IQ reply = connection.sendIqRequestAndWaitForResponse(query);
        return StatsQuery.parse(reply);
    }

    /**
     * Signs off cleanly (unavailable presence, end of stream). A dropped TCP connection is different: Openfire
     * keeps a stream-managed session, and so its room occupants, until the resumption timeout.
     */
    void signOff() {
        connection.setReplyTimeout(2_000);
        connection.disconnect();
    }

    @Override
    public void close() {
        connection.instantShutdown();
    }

    /** Rooms the node cannot carry across the overlay, with the reason, from the same query as {@link #xoStats()}. */
    public Map<String, String> xoUncarriedRooms() throws Exception {
        StatsQuery query = new StatsQuery();
        query.setTo(JidCreate.domainBareFrom("xo." + domain));
        query.setType(IQ.Type.get);
        return StatsQuery.parseUncarried(connection.sendIqRequestAndWaitForResponse(query));
    }

    /**
     * The gateway's bridge as the node's Status shows it (room, far-room, up, since, last-error), from the same query as
     * {@link #xoStats()}; empty when no bridge is configured.
     */
    public Map<String, String> xoBridge() throws Exception {
        StatsQuery query = new StatsQuery();
        query.setTo(JidCreate.domainBareFrom("xo." + domain));
        query.setType(IQ.Type.get);
        java.util.regex.Matcher element = java.util.regex.Pattern.compile("<bridge ([^>]*)/>")
                .matcher(StatsQuery.text(connection.sendIqRequestAndWaitForResponse(query)));
        Map<String, String> bridge = new java.util.LinkedHashMap<>();
        if (element.find()) {
            java.util.regex.Matcher attribute = java.util.regex.Pattern.compile("([a-z-]+)=['\"]([^'\"]*)['\"]")
                    .matcher(element.group(1));
            while (attribute.find()) {
                bridge.put(attribute.group(1), attribute.group(2));
            }
        }
        return bridge;
    }

    /** The node's XO settings in effect, by property name, from its settings query (administrators only). */
    public Map<String, String> xoSettings() throws Exception {
        return SettingsQuery.parse(connection.sendIqRequestAndWaitForResponse(SettingsQuery.get(domain)));
    }

    /** Why the node refused its last settings change (one sentence), or null when it applied. */
    public String xoSettingsProblem() throws Exception {
        return SettingsQuery.parseProblem(connection.sendIqRequestAndWaitForResponse(SettingsQuery.get(domain)));
    }

    /**
     * Stores XO settings on the node while it runs, through its settings query (administrators only), as an admin
     * console would; the node applies them once no other change came for 300 ms.
     *
     * @throws XMPPErrorException with the node's refusal (forbidden, or bad-request with one sentence)
     */
    public void xoSet(Map<String, String> values) throws Exception {
        SettingsQuery set = new SettingsQuery(values);
        set.setTo(JidCreate.domainBareFrom("xo." + domain));
        set.setType(IQ.Type.set);
        connection.sendIqRequestAndWaitForResponse(set);
    }

    /** The settings query ({@code urn:xo:settings:0}); the reply's child is parsed generically. */
    static final class SettingsQuery extends IQ {
        private final Map<String, String> values;

        SettingsQuery(Map<String, String> values) {
            super("query", "urn:xo:settings:0");
            this.values = values;
        }

        static SettingsQuery get(String domain) throws Exception {
            SettingsQuery get = new SettingsQuery(Map.of());
            get.setTo(JidCreate.domainBareFrom("xo." + domain));
            get.setType(IQ.Type.get);
            return get;
        }

        @Override
        protected IQChildElementXmlStringBuilder getIQChildElementBuilder(IQChildElementXmlStringBuilder xml) {
            if (values.isEmpty()) {
                xml.setEmptyElement();
                return xml;
            }
            xml.rightAngleBracket();
            values.forEach((name, value) -> xml.halfOpenElement("setting").attribute("name", name)
                    .attribute("value", value).closeEmptyElement());
            return xml;
        }

        static Map<String, String> parse(IQ reply) {
            Map<String, String> settings = new java.util.LinkedHashMap<>();
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("<setting name=['\"]([^'\"]+)['\"] value=['\"]([^'\"]*)['\"]")
                    .matcher(StatsQuery.text(reply));
            while (m.find()) {
                settings.put(m.group(1), m.group(2));
            }
            return settings;
        }

        static String parseProblem(IQ reply) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("<problem>([^<]*)</problem>")
                    .matcher(StatsQuery.text(reply));
            return m.find() ? StatsQuery.unescape(m.group(1)) : null; // text content: escaped once more
        }
    }

    /** The stats query; the reply's child is parsed generically. */
    static final class StatsQuery extends SimpleIQ {
        StatsQuery() {
            super("query", "urn:xo:stats:0");
        }

        static Map<String, Long> parse(IQ reply) {
            Map<String, Long> stats = new java.util.LinkedHashMap<>();
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("<stat name=['\"]([^'\"]+)['\"] value=['\"](-?\\d+)['\"]").matcher(text(reply));
            while (m.find()) {
                stats.put(m.group(1), Long.parseLong(m.group(2)));
            }
            return stats;
        }

        static Map<String, String> parseUncarried(IQ reply) {
            Map<String, String> rooms = new java.util.LinkedHashMap<>();
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("<uncarried room=['\"]([^'\"]+)['\"] reason=['\"]([^'\"]*)['\"]").matcher(text(reply));
            while (m.find()) {
                rooms.put(m.group(1), m.group(2));
            }
            return rooms;
        }

        /** Smack keeps an unknown child as escaped text. */
        static String text(IQ reply) {
            return unescape(reply.toXML().toString());
        }

        static String unescape(String xml) {
            return xml.replace("&lt;", "<").replace("&gt;", ">").replace("&apos;", "'").replace("&quot;", "\"")
                    .replace("&amp;", "&");
        }
    }
}
