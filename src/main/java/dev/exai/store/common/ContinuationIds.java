package dev.exai.store.common;

import java.util.regex.Pattern;

/** The form of a {@code continuation_id}, checked the same way wherever one enters: a path, a query, a body, a form. */
public final class ContinuationIds {

    private static final Pattern FORM = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private ContinuationIds() {
    }

    /** The id, or a 400 when it is not 1 to 128 characters of A-Z a-z 0-9 . _ : - */
    public static String checked(String cid) {
        if (cid == null || !FORM.matcher(cid).matches()) {
            throw ProblemException.badRequest("continuation_id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -");
        }
        return cid;
    }
}
