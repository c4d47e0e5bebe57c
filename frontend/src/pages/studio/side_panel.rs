//! The studio's side column: sharing the stream, who is watching, streaming from OBS,
//! restreaming, and the chat.

use leptos::prelude::*;

use super::restream::RestreamPanel;
use super::share::SharePanel;
use super::state::Studio;
use super::viewers::ViewerList;
use crate::components::chat::Chat;
use crate::components::obs::ObsPanel;

#[component]
pub(super) fn SidePanel(studio: Studio) -> impl IntoView {
    let live = studio.live;
    let host_identity = Signal::derive(move || live.me.get().map(|me| me.identity));
    view! {
        <aside class="side-column">
            <SharePanel studio=studio/>
            <ViewerList studio=studio/>
            <ObsPanel room_id=studio.room_id.get_value() host_key=studio.host_key()/>
            <RestreamPanel studio=studio/>
            <Chat messages=live.messages room=live.room me=live.me host_identity=host_identity/>
        </aside>
    }
}
