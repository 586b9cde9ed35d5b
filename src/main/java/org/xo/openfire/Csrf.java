package org.xo.openfire;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.servlet.http.HttpSession;

/**
 * The Settings form's guard against cross-site requests: one random token per admin session, which every form
 * carries and every POST must return. Openfire's own plugin CSRF check is not used: Openfire 5.x replaces its token
 * on every plugin request, so the Status page's polling would invalidate an open form; 4.2.0 has none. The token
 * lives under a session attribute of XO's own name and uses no Openfire class.
 */
public final class Csrf {
    /** The form field that carries the token. */
    public static final String PARAMETER = "xo_csrf";
    static final String SESSION_ATTRIBUTE = "org.xo.openfire.csrf";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Csrf() {
    }

    /** @return the session's token, made on first use */
    public static String token(HttpSession session) {
        synchronized (session) {
            String token = (String) session.getAttribute(SESSION_ATTRIBUTE);
            if (token == null) {
                byte[] random = new byte[24];
                RANDOM.nextBytes(random);
                token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                session.setAttribute(SESSION_ATTRIBUTE, token);
            }
            return token;
        }
    }

    /** @return whether a request of this session carried its token (compared in constant time) */
    public static boolean accepts(HttpSession session, String given) {
        String expected = session == null ? null : (String) session.getAttribute(SESSION_ATTRIBUTE);
        return expected != null && given != null && MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), given.getBytes(StandardCharsets.US_ASCII));
    }
}
