package org.xo.node;

import java.io.IOException;

/**
 * The Openfire that a node runs: {@link EmbeddedServer} (4.2.0, in the launcher's JVM) or {@link LayoutServer}
 * (a server layout's own JVM). {@link XoNode} waits for the client port, prints the node's lines and handles
 * signals for both.
 */
interface OpenfireServer {
    /** Starts the server; it accepts clients some time later, which the launcher finds out by connecting. */
    void start() throws IOException;

    /** Openfire's version, e.g. "5.1.1". */
    String version();

    boolean isRunning();

    /** Blocks until the server has ended, through {@link #stop()} or by itself; returns its exit status. */
    int awaitEnd() throws InterruptedException;

    /** Stops the server cleanly and returns when it has ended; does nothing when it is not running. */
    void stop();
}
