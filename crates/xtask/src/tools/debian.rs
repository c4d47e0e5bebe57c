//! Debian packages: which of a list are missing (`dpkg-query`), and installing those with
//! `apt-get` when xtask runs as root — otherwise a clear message saying what to install.

use std::process::Command;
use std::sync::Once;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::process::run_tool;

/// The packages of `packages` that are not installed.
pub fn missing_packages(packages: &[&str]) -> Result<Vec<String>> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${db:Status-Status}\n"])
        .args(packages)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "`dpkg-query` is not on PATH: the local stack expects Debian (bookworm) packages: {}",
            packages.join(" ")
        ),
        Err(e) => return Err(e).context("running dpkg-query"),
    };
    // dpkg-query exits 1 when a package is unknown, and still lists the known ones.
    let listed = String::from_utf8_lossy(&output.stdout);
    Ok(packages
        .iter()
        .filter(|package| {
            !listed.lines().any(|line| {
                line.split_once(' ')
                    .is_some_and(|(name, status)| name == **package && status == "installed")
            })
        })
        .map(|package| (*package).to_owned())
        .collect())
}

/// Makes sure every package of `packages` is installed: prints one "present" line, or installs
/// the missing ones (`apt-get update` once per run, then `apt-get install -y
/// --no-install-recommends`) as root, or fails naming the command to run.
pub fn ensure_packages(what: &str, packages: &[&str]) -> Result<()> {
    let missing = missing_packages(packages)?;
    if missing.is_empty() {
        println!("{what} (Debian packages): present");
        return Ok(());
    }
    if !nix::unistd::geteuid().is_root() {
        bail!(
            "{what} needs Debian packages that are missing, and xtask is not root, so it cannot \
             install them: run `sudo apt-get update && sudo apt-get install -y \
             --no-install-recommends {}`",
            missing.join(" ")
        );
    }
    let start = Instant::now();
    println!("{what}: installing Debian packages {}…", missing.join(" "));
    static UPDATE: Once = Once::new();
    let mut update_result = Ok(());
    UPDATE.call_once(|| update_result = apt_get(&["update"]));
    update_result?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(missing.iter().map(String::as_str));
    apt_get(&install)?;
    let still_missing = missing_packages(packages)?;
    if !still_missing.is_empty() {
        bail!(
            "`apt-get install` succeeded but these are still not installed: {}",
            still_missing.join(" ")
        );
    }
    println!(
        "{what}: Debian packages installed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn apt_get(args: &[&str]) -> Result<()> {
    let mut apt = Command::new("apt-get");
    apt.args(["-q"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive");
    let status = run_tool(apt).context("running apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
