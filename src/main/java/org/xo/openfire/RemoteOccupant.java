package org.xo.openfire;

/**
 * A participant of another node as one local room shows it, for the Status page.
 *
 * @param room       local room name
 * @param nick       the nick the local room knows them by (their own, or suffixed by the nick rule)
 * @param originNick their nick on their own node
 * @param node       their node's id
 * @param joined     whether the room has confirmed their entry yet
 * @param awaitingRestart whether their node said goodbye and they wait, for the restart grace, to be announced again
 */
record RemoteOccupant(String room, String nick, String originNick, long node, boolean joined,
                      boolean awaitingRestart) {
}
