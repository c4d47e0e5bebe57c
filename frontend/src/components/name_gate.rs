//! A viewer's name, asked only when it is needed. A viewer watches under a neutral name the
//! server gave ("Viewer 4821"); the first time they chat or raise a hand, the page asks for a
//! name (and remembers it), then does what they asked. [`NameGate`] holds that: whether a name
//! was chosen, whether the page is asking, and the actions waiting for the answer. The page
//! shows its prompt while [`NameGate::asking`] is on.

use leptos::prelude::*;

/// Actions that wait for a name.
type Waiting = Vec<Box<dyn FnOnce()>>;

/// Whether the viewer chose a name, and what waits for them to; `Copy`, so closures can hold it.
#[derive(Clone, Copy)]
pub struct NameGate {
    /// The name the viewer chose (now, or on an earlier stream); `None` while they watch under
    /// the neutral one.
    pub chosen: RwSignal<Option<String>>,
    /// The page is asking for a name.
    pub asking: RwSignal<bool>,
    waiting: StoredValue<Waiting, LocalStorage>,
}

impl NameGate {
    pub fn new(chosen: Option<String>) -> Self {
        Self {
            chosen: RwSignal::new(chosen),
            asking: RwSignal::new(false),
            waiting: StoredValue::new_local(Vec::new()),
        }
    }

    /// Runs `action` now when the viewer has a name, else once they chose one (the page asks).
    pub fn then(self, action: impl FnOnce() + 'static) {
        if self.chosen.with_untracked(Option::is_some) {
            action();
        } else {
            self.waiting
                .update_value(|waiting| waiting.push(Box::new(action)));
            self.asking.set(true);
        }
    }

    /// Asks for a (new) name, with nothing waiting for it.
    pub fn ask(self) {
        self.asking.set(true);
    }

    /// The viewer is `name` from now on: what waited for it runs.
    pub fn choose(self, name: String) {
        self.chosen.set(Some(name));
        self.asking.set(false);
        let waiting = self
            .waiting
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for action in waiting {
            action();
        }
    }

    /// The viewer closed the prompt: what waited for a name is dropped.
    pub fn cancel(self) {
        self.asking.set(false);
        self.waiting.update_value(Vec::clear);
    }
}
