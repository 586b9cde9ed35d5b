package org.xo.openfire;

import java.io.IOException;

import javax.servlet.Servlet;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * An admin page (a JSP compiled into {@code org.xo.openfire.jsp}), made on its first request. Openfire 4.2.0
 * initializes a plugin's servlets as soon as the plugin loads, with its admin console's ServletConfig, which is null
 * when the console is off (the headless XO node): a compiled JSP's init fails on that, and Openfire logs an ERROR and
 * registers none of the plugin's later servlets. Requests only ever come through a running admin console, so the
 * page is made then, with that console's config. web.xml maps each page's url to one of the subclasses.
 */
public abstract class AdminPage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String pageClass;
    private transient volatile Servlet page;

    AdminPage(String pageClass) {
        this.pageClass = pageClass;
    }

    /** settings.jsp */
    public static final class Settings extends AdminPage {
        private static final long serialVersionUID = 1L;

        public Settings() {
            super("org.xo.openfire.jsp.settings_jsp");
        }
    }

    /** status.jsp */
    public static final class Status extends AdminPage {
        private static final long serialVersionUID = 1L;

        public Status() {
            super("org.xo.openfire.jsp.status_jsp");
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        page().service(request, response);
    }

    private Servlet page() throws ServletException {
        Servlet made = page;
        if (made == null) {
            synchronized (this) {
                made = page;
                if (made == null) {
                    try {
                        // By name: the pages are compiled after this class, from web/*.jsp.
                        made = (Servlet) Class.forName(pageClass, true, AdminPage.class.getClassLoader())
                                .getDeclaredConstructor().newInstance();
                    } catch (ReflectiveOperationException e) {
                        throw new ServletException("The plugin JAR lacks its page " + pageClass, e);
                    }
                    made.init(getServletConfig());
                    page = made;
                }
            }
        }
        return made;
    }

    @Override
    public void destroy() {
        Servlet made = page;
        if (made != null) {
            made.destroy();
        }
    }
}
