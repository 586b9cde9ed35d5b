package org.xo.openfire;

import java.io.IOException;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.jivesoftware.util.JiveGlobals;

/**
 * {@code status-data}: the Status page's JSON ({@link StatusReport#toJson}), polled every few seconds. Behind the
 * admin login like every plugin page (Openfire's AuthCheckFilter covers {@code /plugins/*}); as JSON, not HTML, it
 * is left undecorated by the admin console on every version.
 */
public final class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String json = AdminConsole.status().toJson(Messages.of(JiveGlobals.getLocale()));
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(json);
    }
}
