package dev.exai.store.common;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** One page of a list: {@code {"items": [...], "next_cursor": "..." | null}}. */
@RegisterForReflection // generic wrapper the build cannot resolve from resource signatures
public record Page<T>(List<T> items, String nextCursor) {
}
