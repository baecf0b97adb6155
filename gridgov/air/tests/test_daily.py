"""HJ 663 validity rules of the daily values (pure NumPy functions)."""

import numpy as np

from gridgov.air.daily import daily_values, day_max_1h, day_max_8h, day_means, moving_8h


def day(values, missing=()):
    x = np.asarray(values, dtype=float).reshape(1, 24) if np.ndim(values) else np.full((1, 24), float(values))
    for h in missing:
        x[0, h] = np.nan
    return x


def test_a_24_hour_mean_needs_20_valid_hours():
    assert day_means(day(40, missing=range(4)))[0] == 40  # 20 hours
    assert np.isnan(day_means(day(40, missing=range(5)))[0])  # 19 hours: missing, not guessed
    mixed = day(np.arange(24))
    assert day_means(mixed)[0] == np.arange(24).mean()


def test_an_8_hour_average_needs_6_of_its_8_hours():
    series = np.full(24, 100.0)
    series[10:12] = np.nan  # two missing: windows that contain both still have 6
    out = moving_8h(series)
    assert out[15] == 100
    series[12] = np.nan  # three missing in one window
    out = moving_8h(series)
    assert np.isnan(out[15]) and out[19] == 100
    assert np.isnan(moving_8h(np.full(24, 50.0))[4]) and moving_8h(np.full(24, 50.0))[5] == 50


def test_the_daily_maximum_8_hour_mean_uses_the_17_windows_of_the_day():
    o3 = np.zeros(24)
    o3[0:8] = 200  # the first window (00–08) averages 200
    assert day_max_8h(o3.reshape(1, 24))[0] == 200
    late = np.zeros(24)
    late[20:24] = 160  # the last window (16–24) averages 80
    assert day_max_8h(late.reshape(1, 24))[0] == 80


def test_the_daily_maximum_8_hour_mean_needs_14_valid_windows_unless_it_exceeds_the_limit():
    o3 = np.full(24, 100.0)
    o3[8:12] = np.nan  # four missing hours make windows 11…15 (ending 11–15) invalid and leave 12
    hours = o3.reshape(1, 24)
    windows = moving_8h(hours)[:, 7:]
    assert (~np.isnan(windows)).sum() < 14
    assert np.isnan(day_max_8h(hours)[0])
    high = np.where(np.isnan(o3), np.nan, 200.0).reshape(1, 24)  # above 160: valid even with fewer windows
    assert day_max_8h(high)[0] == 200


def test_the_daily_1_hour_maximum_needs_20_hours():
    values = np.full(24, 50.0)
    values[12] = 300
    assert day_max_1h(values.reshape(1, 24))[0] == 300
    values[:5] = np.nan
    assert np.isnan(day_max_1h(values.reshape(1, 24))[0])


def test_daily_values_over_many_station_days_at_once():
    rng = np.random.default_rng(7)
    hours = {k: rng.uniform(0, 200, (50, 24)) for k in ("pm25", "pm10", "so2", "no2", "co", "o3")}
    hours["pm25"][3, :6] = np.nan
    out = daily_values(hours)
    assert set(out) == {"pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h"}
    assert np.isnan(out["pm25"][3]) and not np.isnan(out["pm25"][4])
    assert np.allclose(out["pm10"], hours["pm10"].mean(axis=1))


def test_a_24_hour_moving_mean_needs_20_of_its_24_hours():
    from gridgov.air.daily import moving_24h

    series = np.arange(48, dtype=float)
    out = moving_24h(series)
    assert np.isnan(out[18]) and out[19] == np.arange(20).mean()  # 20 hours seen from the start of the series
    assert out[30] == np.arange(7, 31).mean()  # the 24 hours ending with hour 30
    series[20:24] = np.nan  # 4 missing in the windows ending at 23…43: 20 valid
    assert moving_24h(series)[30] == np.r_[7:20, 24:31].mean()
    series[24] = np.nan  # a fifth: windows ending at 24…43 have 19 valid, missing; from 44 on 20 again
    out = moving_24h(series)
    assert np.isnan(out[30]) and np.isnan(out[43]) and out[44] == np.arange(25, 45).mean()
