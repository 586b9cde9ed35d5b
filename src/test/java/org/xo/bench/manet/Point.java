package org.xo.bench.manet;

/** A position in the simulation area. */
public record Point(double x, double y) {
    public double distance(Point other) {
        return Math.hypot(x - other.x, y - other.y);
    }
}
