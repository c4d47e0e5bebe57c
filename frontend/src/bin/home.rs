//! The home page (`/`), and the "not found" page the server sends for any unknown path.
fn main() {
    onair_frontend::start(onair_frontend::pages::home::HomeOrNotFound);
}
