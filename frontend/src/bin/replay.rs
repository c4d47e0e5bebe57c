//! The replay page, `/recordings/:id`.
fn main() {
    onair_frontend::start(onair_frontend::pages::recordings::RecordingsPage);
}
