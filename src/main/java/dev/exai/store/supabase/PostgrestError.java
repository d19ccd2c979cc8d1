package dev.exai.store.supabase;

/**
 * An error in PostgREST's words: its HTTP status and the four keys its clients require ({@code code}, {@code message},
 * {@code details}, {@code hint}), with PostgreSQL's SQLSTATE or PostgREST's own {@code PGRST} code.
 */
final class PostgrestError extends RuntimeException {

    private final int status;
    private final String code;
    private final String details;
    private final String hint;

    PostgrestError(int status, String code, String message, String details, String hint) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details;
        this.hint = hint;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    String details() {
        return details;
    }

    String hint() {
        return hint;
    }

    static PostgrestError unknownTable(String table) {
        return new PostgrestError(404, "PGRST205", "Could not find the table 'public." + table + "' in the schema cache", null,
                null);
    }

    static PostgrestError unknownColumn(String table, String column) {
        return new PostgrestError(400, "42703", "column " + table + "." + column + " does not exist", null, null);
    }

    static PostgrestError unknownBodyColumn(String table, String column) {
        return new PostgrestError(400, "PGRST204", "Could not find the '" + column + "' column of '" + table + "' in the schema cache",
                null, null);
    }

    static PostgrestError badFilter(String expression, String details) {
        return new PostgrestError(400, "PGRST100", "\"failed to parse filter (" + expression + ")\" (line 1, column 1)", details, null);
    }

    static PostgrestError badJson(String details) {
        return new PostgrestError(400, "PGRST102", "Empty or invalid json", details, null);
    }

    static PostgrestError notNull(String table, String column) {
        return new PostgrestError(400, "23502", "null value in column \"" + column + "\" of relation \"" + table
                + "\" violates not-null constraint", null, null);
    }

    static PostgrestError badValue(String type, String value) {
        return new PostgrestError(400, "22P02", "invalid input syntax for type " + type + ": \"" + value + "\"", null, null);
    }

    static PostgrestError duplicate(String constraint, String column, String value) {
        return new PostgrestError(409, "23505", "duplicate key value violates unique constraint \"" + constraint + "\"",
                "Key (" + column + ")=(" + value + ") already exists.", null);
    }

    static PostgrestError missingParent(String table, String column, String value, String parent) {
        return new PostgrestError(409, "23503", "insert or update on table \"" + table + "\" violates foreign key constraint \""
                + table + "_" + column + "_fkey\"", "Key (" + column + ")=(" + value + ") is not present in table \"" + parent + "\".", null);
    }

    static PostgrestError notOneRow(int rows) {
        return new PostgrestError(406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                "The result contains " + rows + " rows", null);
    }

    static PostgrestError whereRequired(String method) {
        return new PostgrestError(400, "21000", method + " requires a WHERE clause", null, null);
    }

    static PostgrestError notAllowed(String what) {
        return new PostgrestError(403, "42501", "permission denied for " + what, null, null);
    }

    static PostgrestError generated(String column) {
        return new PostgrestError(400, "428C9", "cannot insert a non-DEFAULT value into column \"" + column + "\"",
                "Column \"" + column + "\" is assigned by exai-store.", null);
    }
}
