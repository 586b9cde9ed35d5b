package org.xo.transport.norm;

/** libnorm (or JNA's native part) cannot be loaded on this machine; the message says why, in one sentence. */
public final class NormUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    NormUnavailableException(String reason) {
        super(reason);
    }
}
