package dev.exai.store.security;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** A key just made: the only answer that carries the key itself. */
@RegisterForReflection // written from a Response entity, which the build cannot see from the resource's signature
public record IssuedKey(String id, String tenant, String name, String key, String prefix, String createdAt, String expiresAt) {
}
