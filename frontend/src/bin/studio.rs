//! The host studio, `/host/:id`.
fn main() {
    onair_frontend::start(onair_frontend::pages::studio::HostStudio);
}
