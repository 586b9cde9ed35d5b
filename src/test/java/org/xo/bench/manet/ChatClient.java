package org.xo.bench.manet;

import java.net.InetAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.ReconnectionManager;
import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.muc.MucEnterConfiguration;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.xo.it.NamespaceSockets;
import org.xo.it.XmppTestClient;

/**
 * One node's chat user in one system (XO or client/server), as the paper's Smack traffic generator: a plain XMPP
 * client whose TCP socket lives in the node's namespace, so its traffic really crosses the emulated network. It
 * numbers what it sends ({@code [m17] sentence}) and reports every numbered message the room delivers to it.
 * <p>
 * No automatic reconnection (Smack's is off): like the paper's generator, it reconnects only when it has a
 * message to send; see {@link #connectIfNeeded()}.
 */
final class ChatClient implements AutoCloseable {
    private static final Pattern NUMBERED = Pattern.compile("^\\[m(\\d+)] ");
    static final int TIMEOUT_MS = 10_000;

    private final XMPPTCPConnection connection;
    private final EntityBareJid room;
    private final String nick;
    private final String password;
    private volatile MultiUserChat muc;
    private int joins;
    private int failedAttempts;
    private String lastFailure = "";

    /** Receives every numbered room message: its number and the receiving node. */
    interface Arrivals {
        void arrived(int message, int receiver);
    }

    /**
     * @param ns      the node's namespace: the client's socket is made there
     * @param host    the server's address (the node's own XO node, or the central server)
     * @param arrival called with (message number, this client's node) for every numbered room message
     */
    ChatClient(String ns, String host, int port, String domain, String user, String roomName, int node,
               Arrivals arrival) throws Exception {
        XMPPTCPConnectionConfiguration config = XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(domain)
                .setHostAddress(InetAddress.getByName(host))
                .setPort(port)
                .setUsernameAndPassword(user, "pw-" + user)
                .setResource("manet")
                .setSecurityMode(SecurityMode.disabled)
                .setSocketFactory(NamespaceSockets.socketFactory(ns))
                .setConnectTimeout(TIMEOUT_MS)
                .build();
        this.password = "pw-" + user;
        this.connection = new XMPPTCPConnection(config);
        connection.setUseStreamManagement(false); // deadlocks Smack 4.4 under bursts; not what the paper ran either
        connection.setReplyTimeout(TIMEOUT_MS);
        ReconnectionManager.getInstanceFor(connection).disableAutomaticReconnection();
        this.room = JidCreate.entityBareFrom(roomName + "@conference." + domain);
        this.nick = user;
        connection.addAsyncStanzaListener(s -> {
            Message m = (Message) s;
            if (m.getType() != Message.Type.groupchat || m.getBody() == null) {
                return;
            }
            Matcher number = NUMBERED.matcher(m.getBody());
            if (number.find()) {
                arrival.arrived(Integer.parseInt(number.group(1)), node);
            }
        }, StanzaTypeFilter.MESSAGE);
    }

    static String numbered(int message, String body) {
        return "[m" + message + "] " + body;
    }

    /**
     * Makes sure the client is connected, logged in and in the room: (re)connects, creating the account on first
     * use, and (re)joins asking the room for its recent history, as a default client does.
     *
     * @return true if it is ready to send; false (with the connection closed) if any step failed
     */
    synchronized boolean connectIfNeeded() {
        if (connection.isAuthenticated() && muc != null && muc.isJoined()) {
            return true;
        }
        try {
            if (connection.isConnected()) {
                connection.instantShutdown();
            }
            connection.connect();
            XmppTestClient.registerIfNew(connection, nick, password);
            connection.login();
            MultiUserChat chat = MultiUserChatManager.getInstanceFor(connection).getMultiUserChat(room);
            MucEnterConfiguration enter = chat.getEnterConfigurationBuilder(Resourcepart.from(nick))
                    .requestMaxStanzasHistory(50).build();
            MultiUserChat.MucCreateConfigFormHandle created = chat.createOrJoin(enter);
            if (created != null) {
                created.makeInstant();
            }
            muc = chat;
            joins++;
            return true;
        } catch (Exception e) {
            failedAttempts++;
            lastFailure = e.toString();
            connection.instantShutdown();
            return false;
        } catch (Error e) {
            connection.instantShutdown();
            throw e;
        }
    }

    /** Sends one numbered message; false if the client is not connected or the send failed (then it closes). */
    boolean send(int message, String body) {
        MultiUserChat chat = muc;
        if (chat == null || !connection.isAuthenticated()) {
            return false;
        }
        try {
            chat.sendMessage(numbered(message, body));
            return true;
        } catch (Exception e) {
            connection.instantShutdown();
            return false;
        }
    }

    /** How often the client connected again after its first successful join. */
    synchronized int reconnects() {
        return Math.max(0, joins - 1);
    }

    /** Connection attempts that failed (each followed by a 1 s wait in the generator). */
    synchronized int failedAttempts() {
        return failedAttempts;
    }

    /** Why the last connection attempt failed, "" if none did. */
    synchronized String lastFailure() {
        return lastFailure;
    }

    @Override
    public String toString() {
        return nick + "@" + room.getDomain();
    }

    @Override
    public void close() {
        connection.instantShutdown();
    }
}
