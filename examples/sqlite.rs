//! `cargo run --example sqlite`: an in-memory SQLite database through the
//! system `libsqlite3.so.0`, with nothing but C declarations.
//!
//! Rows come back through `sqlite3_exec`'s callback, a Rust closure; the
//! closure finds the host-side row list through a handle passed as the
//! callback's `void *` user data ([`abicall::memory::new_handle`]).

use abicall::library::Library;
use abicall::memory::{from_handle, new_handle, Ptr};
use abicall::{Ffi, Value};
use std::sync::{Arc, Mutex};

const DECLS: &str = "
    typedef struct sqlite3 sqlite3;
    int sqlite3_open(const char *filename, sqlite3 **ppDb);
    int sqlite3_exec(sqlite3 *, const char *sql, int (*callback)(void *, int, char **, char **),
                     void *arg, char **errmsg);
    void sqlite3_free(void *);
    int sqlite3_close(sqlite3 *);
    const char *sqlite3_errmsg(sqlite3 *);
";

/// The rows the callback collects: (column name, value) pairs.
type Rows = Mutex<Vec<Vec<(String, String)>>>;

fn main() -> Result<(), String> {
    run().map_err(|e| e.to_string())
}

fn run() -> abicall::Result<()> {
    let mut ffi = Ffi::host()?;
    ffi.cdef(DECLS)?;
    // SAFETY: loading `libsqlite3.so.0` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open("libsqlite3.so.0") }?;
    let open = ffi.function(&lib, "sqlite3_open")?;
    let exec = ffi.function(&lib, "sqlite3_exec")?;
    let free = ffi.function(&lib, "sqlite3_free")?;
    let close = ffi.function(&lib, "sqlite3_close")?;
    let errmsg_of = ffi.function(&lib, "sqlite3_errmsg")?;

    // sqlite3 *db; sqlite3_open(":memory:", &db);
    let db_cell = ffi.new_object("sqlite3 **", None)?;
    // SAFETY: `open` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let rc = unsafe { open.call(&[Value::str(":memory:"), Value::Pointer(db_cell.pointer()?)]) }?;
    let db = db_cell.read(&ffi.types())?;
    if rc != Value::Int(0) {
        return Err(abicall::Error::call(
            abicall::CallErrorKind::Other,
            None,
            format!("sqlite3_open failed with {rc:?}"),
        ));
    }

    // The callback: int (*)(void *, int, char **, char **).
    let types = ffi.shared_types();
    let char_ptr = ffi.type_of("char *")?;
    let on_row = ffi.callback("int (*)(void *, int, char **, char **)", move |args| {
        let t = types.read().map_err(|_| "type table lock poisoned".to_string())?;
        let rows = from_handle(args[0].as_ptr().ok_or("user data")?.addr() as *const _).map_err(|e| e.to_string())?;
        let rows = rows.downcast_ref::<Rows>().ok_or("user data is not the row list")?;
        let n = args[1].as_int().ok_or("column count")? as usize;
        let column = |arg: &Value, i: usize| -> Result<String, String> {
            let array = arg.as_ptr().ok_or("not a pointer")?.with_pointee(char_ptr);
            // SAFETY: sqlite passes arrays of `n` strings (NULL for SQL NULL),
            // valid during the callback.
            let text = unsafe { array.deref(&t, n) }
                .and_then(|a| a.offset(&t, i as isize)?.read(&t))
                .map_err(|e| e.to_string())?;
            match text.as_ptr() {
                Some(p) if !p.is_null() => {
                    // SAFETY: a NUL-terminated string owned by sqlite.
                    let bytes = unsafe { p.string(None) }.map_err(|e| e.to_string())?;
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                }
                _ => Ok("NULL".to_string()),
            }
        };
        let row = (0..n)
            .map(|i| Ok((column(&args[3], i)?, column(&args[2], i)?)))
            .collect::<Result<Vec<_>, String>>()?;
        rows.lock().map_err(|_| "row list poisoned")?.push(row);
        Ok(Value::Int(0))
    })?;
    let callback_ty = ffi.type_of("int (void *, int, char **, char **)")?;
    let callback = Value::Pointer(Ptr::new(on_row.code() as usize, callback_ty));

    let rows: Arc<Rows> = Arc::new(Mutex::new(Vec::new()));
    let (handle, user_data) = new_handle(rows.clone())?;
    let void = ffi.type_of("void")?;
    let user_data = Value::Pointer(Ptr::new(user_data as usize, void));

    let errmsg = ffi.new_object("char **", None)?;
    let run_sql = |sql: &str| -> abicall::Result<Result<(), String>> {
        // SAFETY: `exec` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        let rc = unsafe {
            exec.call(&[
                db.clone(),
                Value::str(sql),
                callback.clone(),
                user_data.clone(),
                Value::Pointer(errmsg.pointer()?),
            ])
        }?;
        if rc == Value::Int(0) {
            return Ok(Ok(()));
        }
        // sqlite allocated the message; we free it with sqlite3_free.
        let msg = errmsg.read(&ffi.types())?;
        let text = match msg.as_ptr() {
            // SAFETY: a NUL-terminated string allocated by sqlite.
            Some(p) if !p.is_null() => String::from_utf8_lossy(&unsafe { p.string(None) }?).into_owned(),
            _ => String::from("(no message)"),
        };
        // SAFETY: `free` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        unsafe { free.call(&[msg]) }?;
        Ok(Err(format!(
            "sqlite3_exec: {text} (code {})",
            rc.as_int().unwrap_or(-1)
        )))
    };

    let setup = "CREATE TABLE langs (name TEXT, year INTEGER, typed TEXT);
                 INSERT INTO langs VALUES ('C', 1972, 'static'), ('Lua', 1993, 'dynamic'),
                                          ('Rust', 2015, 'static'), ('Python', 1991, 'dynamic');";
    run_sql(setup)?.map_err(|m| abicall::Error::call(abicall::CallErrorKind::Other, None, m))?;
    run_sql("SELECT name, year FROM langs WHERE typed = 'dynamic' ORDER BY year")?
        .map_err(|m| abicall::Error::call(abicall::CallErrorKind::Other, None, m))?;
    run_sql("SELECT count(*) AS n, min(year) AS first FROM langs")?
        .map_err(|m| abicall::Error::call(abicall::CallErrorKind::Other, None, m))?;
    for row in rows
        .lock()
        .map_err(|_| abicall::Error::call(abicall::CallErrorKind::Other, None, "poisoned"))?
        .iter()
    {
        let cells: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("row: {}", cells.join(", "));
    }
    // An error from sqlite, reported through the errmsg out-parameter.
    if let Err(e) = run_sql("SELECT * FROM no_such_table")? {
        println!("expected error: {e}");
        // The same message, kept by the connection until the next call.
        // SAFETY: `errmsg_of` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        if let Some(p) = unsafe { errmsg_of.call(std::slice::from_ref(&db)) }?.as_ptr() {
            // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by
            // the connection, valid until the next call on it.
            let text = unsafe { p.string(None) }?;
            println!("sqlite3_errmsg: {}", String::from_utf8_lossy(&text));
        }
    }
    drop(handle);
    // SAFETY: `close` is declared with its real signature (the example's declarations) and these arguments are valid for it.
    let rc = unsafe { close.call(&[db]) }?;
    println!("sqlite3_close: {}", rc.as_int().unwrap_or(-1));
    Ok(())
}
