package dev.exai.store.session;

import java.util.UUID;

/** One session of a chain (a session and the ones it continues) and how many of its messages (1..upto) the chain's history holds. */
public record ChainLink(UUID id, String continuationId, long upto) {
}
