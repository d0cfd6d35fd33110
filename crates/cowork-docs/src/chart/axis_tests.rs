use super::*;

fn ticks(scale: Scale) -> Vec<f64> {
    let step = (scale.max - scale.min) / scale.splits as f64;
    (0..=scale.splits)
        .map(|i| scale.min + step * i as f64)
        .collect()
}

#[test]
fn revenue_in_thousands_gets_round_steps_from_zero() {
    let s = nice(9_800.0, 21_400.0, true);
    assert_eq!(
        ticks(s),
        [0.0, 5_000.0, 10_000.0, 15_000.0, 20_000.0, 25_000.0]
    );
}

#[test]
fn negative_values_get_a_zero_tick() {
    let s = nice(-340.0, 1_200.0, true);
    assert!(s.min < -340.0 && s.max >= 1_200.0);
    assert!(ticks(s).iter().any(|t| t.abs() < 1e-9), "{s:?}");
}

#[test]
fn scatter_axes_need_not_start_at_zero() {
    let s = nice(1_020.0, 1_090.0, false);
    assert!(
        s.min > 900.0 && s.min <= 1_020.0 && s.max >= 1_090.0,
        "{s:?}"
    );
    assert!((3..=8).contains(&s.splits), "{s:?}");
}

#[test]
fn a_single_value_still_gets_a_range() {
    let s = nice(7.0, 7.0, true);
    assert!(s.min == 0.0 && s.max > 7.0 && s.splits >= 2, "{s:?}");
    let s = nice(0.0, 0.0, true);
    assert!(s.max > 0.0, "{s:?}");
    let s = nice(-4.0, -4.0, true);
    assert!(s.min <= -4.0 && s.max == 0.0 && s.splits >= 2, "{s:?}");
    let s = nice(3.0, 3.0, false);
    assert!(s.min < 3.0 && s.max > 3.0, "{s:?}");
}

#[test]
fn fractions_never_step_below_one_decimal() {
    let s = nice(0.12, 0.34, true);
    let step = (s.max - s.min) / s.splits as f64;
    assert!(step >= 0.1 - 1e-12, "{s:?}");
    assert!(s.max >= 0.34);
}

#[test]
fn scatter_axes_share_their_step_count_and_hold_every_point() {
    let (x, y) = nice_pair((80.0, 650.0), (21_000.0, 150_000.0));
    assert_eq!(x.splits, y.splits);
    assert!(x.min <= 80.0 && x.max > 650.0, "{x:?}");
    assert!(y.min <= 21_000.0 && y.max > 150_000.0, "{y:?}");
    for scale in [x, y] {
        let step = (scale.max - scale.min) / scale.splits as f64;
        let mantissa = step / 10_f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 2.5, 5.0]
                .iter()
                .any(|m| (m - mantissa).abs() < 1e-9),
            "{scale:?}"
        );
    }
    let (x, y) = nice_pair((-3.5, 2.0), (0.0, 0.0));
    assert_eq!(x.splits, y.splits);
    assert!(
        x.min <= -3.5 && x.max >= 2.0 && y.max > y.min,
        "{x:?} {y:?}"
    );
}
