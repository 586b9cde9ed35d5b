/**
 * Consistency between nodes: duplicate suppression per origin ({@link org.xo.sync.Deduplicator}) and the per-room
 * state a node repeats to nodes that join later ({@link org.xo.sync.RoomState}).
 */
package org.xo.sync;
