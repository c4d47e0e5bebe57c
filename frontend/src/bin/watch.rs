//! The viewer page, `/stream/:id`: the link a streamer shares.
fn main() {
    onair_frontend::start(onair_frontend::pages::watch::ViewerPage);
}
