package inventoryclient

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/type/money"
)

// MoneyText writes an amount as a decimal with at least two places and without losing a
// digit: "-111.95", "2.25", "0.00", "0.125".
func MoneyText(m *money.Money) string {
	units, nanos := m.GetUnits(), m.GetNanos()
	sign := ""
	if units < 0 || nanos < 0 { // units and nanos share their sign
		sign = "-"
		units, nanos = -units, -nanos
	}
	fraction := strings.TrimRight(fmt.Sprintf("%09d", nanos), "0")
	for len(fraction) < 2 {
		fraction += "0"
	}
	return fmt.Sprintf("%s%d.%s", sign, units, fraction)
}

// MoneyWithCurrency is MoneyText followed by the currency code, when the amount has one:
// "2.25 USD".
func MoneyWithCurrency(m *money.Money) string {
	if code := m.GetCurrencyCode(); code != "" {
		return MoneyText(m) + " " + code
	}
	return MoneyText(m)
}
