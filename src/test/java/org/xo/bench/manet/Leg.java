package org.xo.bench.manet;

/**
 * One random-waypoint leg of the group's logical center: it leaves {@code from} at {@code start}, moves in a straight
 * line at {@code speed} to {@code to}, arrives at {@code arrive} and then pauses there until {@code pauseEnd}. A leg
 * whose speed is 0 never arrives ({@code arrive} and {@code pauseEnd} are infinite). The last leg may end after the
 * scenario's end time.
 */
public record Leg(double start, Point from, Point to, double speed, double arrive, double pauseEnd) {

    public double pause() {
        return pauseEnd - arrive;
    }

    /** Center position at time t, for start <= t (clamped at the leg's ends). */
    public Point at(double t) {
        if (t <= start) {
            return from;
        }
        if (t >= arrive) {
            return to;
        }
        double f = (t - start) / (arrive - start);
        return new Point(from.x() + f * (to.x() - from.x()), from.y() + f * (to.y() - from.y()));
    }
}
