/**
 * Consistency between nodes: duplicate suppression and gap counting per stream (origin run and room,
 * {@link org.xo.sync.Deduplicator}) and the per-room state a node repeats to nodes that join later
 * ({@link org.xo.sync.RoomState}).
 */
package org.xo.sync;
