package org.xo.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.servlet.Filter;
import javax.servlet.FilterChain;
import javax.servlet.FilterConfig;
import javax.servlet.ServletException;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * HTTP Basic login in front of everything the embedded node's status view serves (mapped to {@code /*} in the
 * admin web app that {@link EmbeddedHome} writes): user {@value #USER}, the {@link StatusPassword}. Plain HTTP is
 * acceptable because the port is bound to loopback only.
 * <p>
 * A PBKDF2 check is slow on purpose, and the Status page polls every few seconds with the same credentials, so a
 * credential that passed once is remembered as an HMAC under a key of this process and later compared against it
 * in constant time. Wrong passwords are throttled ({@link LoginThrottle}); the remembered credential is not, so an
 * open Status page keeps working while someone else guesses.
 */
public final class StatusLoginFilter implements Filter {
    static final String USER = "admin";
    /** The init parameter with the absolute path of the hash file. */
    static final String PASSWORD_FILE = "passwordFile";
    private static final String CHALLENGE = "Basic realm=\"XO node status\", charset=\"UTF-8\"";

    private final LoginThrottle throttle = new LoginThrottle(LoginThrottle.MAX_FAILURES, LoginThrottle.WINDOW_MS);
    private final Mac rememberer;
    private StatusPassword password;
    private volatile byte[] accepted;

    public StatusLoginFilter() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            rememberer = Mac.getInstance("HmacSHA256");
            rememberer.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    @Override
    public void init(FilterConfig config) throws ServletException {
        try {
            password = StatusPassword.read(Path.of(config.getInitParameter(PASSWORD_FILE)));
        } catch (IOException | RuntimeException e) {
            // Jetty then answers every request with 503: no page is served unprotected.
            throw new ServletException("The status view has no password: " + e.getMessage(), e);
        }
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletResponse http = (HttpServletResponse) response;
        String given = password((HttpServletRequest) request);
        if (given == null) {
            refuse(http, HttpServletResponse.SC_UNAUTHORIZED, "Log in as user " + USER + ".");
            return;
        }
        byte[] remembered = remember(given);
        byte[] known = accepted;
        if ((known == null || !MessageDigest.isEqual(known, remembered)) && !check(given, remembered, http)) {
            return;
        }
        // The browser sends the password with every request to this port: no other site may frame the pages and
        // have the operator click them.
        http.setHeader("X-Frame-Options", "DENY");
        chain.doFilter(request, response);
    }

    /**
     * The slow check, one at a time: parallel guesses would otherwise all pass the throttle before the first
     * failure is counted. Answers a refusal itself.
     */
    private synchronized boolean check(String given, byte[] remembered, HttpServletResponse response)
            throws IOException {
        long retryAfterMs = throttle.retryAfterMs(System.currentTimeMillis());
        if (retryAfterMs > 0) {
            response.setHeader("Retry-After", Long.toString((retryAfterMs + 999) / 1000));
            refuse(response, 429, "Too many wrong passwords; try again later.");
            return false;
        }
        if (!password.matches(given)) {
            throttle.failed(System.currentTimeMillis());
            refuse(response, HttpServletResponse.SC_UNAUTHORIZED, "Wrong user name or password.");
            return false;
        }
        throttle.succeeded();
        accepted = remembered;
        return true;
    }

    /** The password of a Basic authorization for {@link #USER}, or null. */
    private static String password(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon > 0 && decoded.substring(0, colon).equals(USER) ? decoded.substring(colon + 1) : null;
    }

    private byte[] remember(String given) {
        synchronized (rememberer) {
            return rememberer.doFinal(given.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        if (status == HttpServletResponse.SC_UNAUTHORIZED) {
            response.setHeader("WWW-Authenticate", CHALLENGE);
        }
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("text/plain");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().println(message);
    }

    @Override
    public void destroy() {
        accepted = null;
    }
}
