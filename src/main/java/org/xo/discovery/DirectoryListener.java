package org.xo.discovery;

/**
 * Changes of the {@link Directory}. Called in order, one at a time, on the thread that caused the change (the
 * engine's receive or timer thread, or the DNS-SD thread), never while the directory's data lock is held: a listener may read the
 * directory. Must be quick. Exceptions are caught and logged.
 */
public interface DirectoryListener {
    /** A node is known now that was not: first heard, heard again after it was lost, or restarted (new epoch). */
    default void nodeAppeared(NodeInfo node) {
    }

    /** A node went silent past its timeout, said goodbye, or restarted (its old run is lost, then the new appears). */
    default void nodeLost(NodeInfo node) {
    }

    /**
     * As {@link #nodeLost(NodeInfo)}, telling whether the node itself said goodbye (its run ended in order, and it may
     * come back as a new run) rather than going silent or being replaced by a new run; the directory calls this one,
     * which by default delegates.
     */
    default void nodeLost(NodeInfo node, boolean saidGoodbye) {
        nodeLost(node);
    }

    /** {@link Directory#rooms()} may have changed. */
    default void roomsChanged() {
    }
}
