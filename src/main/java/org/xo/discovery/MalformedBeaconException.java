package org.xo.discovery;

/** A beacon body that does not follow {@link Beacon}'s layout or bounds. Cheap: no stack trace. */
public final class MalformedBeaconException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedBeaconException(String message) {
        super(message, null, false, false);
    }
}
