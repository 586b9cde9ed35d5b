package org.xo.node;

import org.jivesoftware.openfire.XMPPServer;
import org.jivesoftware.openfire.auth.AuthProvider;
import org.jivesoftware.openfire.auth.DefaultAuthProvider;
import org.jivesoftware.openfire.auth.UnauthorizedException;
import org.jivesoftware.openfire.user.UserAlreadyExistsException;
import org.jivesoftware.openfire.user.UserManager;
import org.jivesoftware.openfire.user.UserNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication of a node whose client listener is on a loopback address: like the XO paper's proxy, the only
 * clients are on the same device, so any username with any password is accepted and its account is created on
 * first login. Openfire selects it through {@code provider.auth.className}; the launcher only does that when
 * {@code --bind} is a loopback address.
 * <p>
 * Compiled against Openfire 4.2.0, it also runs in an Openfire 4.8+ server layout ({@code --openfire}), where the
 * launcher puts it into the layout's {@code lib/}: it only calls members that kept their signatures since 4.2.0.
 * <p>
 * It claims neither password retrieval nor SCRAM support, so Openfire offers only SASL PLAIN (the mechanisms
 * that need a stored secret are filtered out). Passwords given at account creation are stored the normal way,
 * so the same database works later with Openfire's DefaultAuthProvider.
 */
public final class LoopbackAuthProvider implements AuthProvider {
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackAuthProvider.class);

    private final DefaultAuthProvider store = new DefaultAuthProvider();

    @Override
    public void authenticate(String username, String password) throws UnauthorizedException {
        String node = localPart(username);
        UserManager users = UserManager.getInstance();
        // getUser rather than isRegisteredUser(String), which Openfire 4.9 replaced: this class also runs on 5.x.
        try {
            users.getUser(node);
            return;
        } catch (UserNotFoundException e) {
            // first login: created below
        }
        try {
            users.createUser(node, password == null || password.isEmpty() ? node : password, null, null);
            LOG.info("Created account '{}' on first login", node);
        } catch (UserAlreadyExistsException e) {
            // Two sessions of a new user logged in at once: the other one created it.
        } catch (IllegalArgumentException e) {
            throw new UnauthorizedException("Invalid username: " + username);
        }
    }

    /** Accepts "user" and "user@this-domain", as Openfire's own providers do. */
    private static String localPart(String username) throws UnauthorizedException {
        if (username == null || username.isEmpty()) {
            throw new UnauthorizedException("Empty username");
        }
        int at = username.indexOf('@');
        if (at < 0) {
            return username;
        }
        String domain = XMPPServer.getInstance().getServerInfo().getXMPPDomain();
        if (!username.substring(at + 1).equals(domain)) {
            throw new UnauthorizedException("User of another domain: " + username);
        }
        return username.substring(0, at);
    }

    @Override
    public String getPassword(String username) {
        throw new UnsupportedOperationException("Loopback nodes do not retrieve passwords");
    }

    @Override
    public void setPassword(String username, String password) throws UserNotFoundException {
        store.setPassword(username, password);
    }

    @Override
    public boolean supportsPasswordRetrieval() {
        return false;
    }

    @Override
    public boolean isScramSupported() {
        return false;
    }

    @Override
    public String getSalt(String username) {
        throw new UnsupportedOperationException("Loopback nodes offer no SCRAM");
    }

    @Override
    public int getIterations(String username) {
        throw new UnsupportedOperationException("Loopback nodes offer no SCRAM");
    }

    @Override
    public String getServerKey(String username) {
        throw new UnsupportedOperationException("Loopback nodes offer no SCRAM");
    }

    @Override
    public String getStoredKey(String username) {
        throw new UnsupportedOperationException("Loopback nodes offer no SCRAM");
    }
}
