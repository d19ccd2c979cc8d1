package dev.exai.store.security;

/** A tenant key as the admin API shows it: never the key, only its first characters to recognise it by. */
public record KeyView(String id, String tenant, String name, String prefix, String createdAt, String expiresAt, String lastUsedAt,
                      String revokedAt) {
}
